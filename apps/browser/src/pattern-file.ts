import { ByteWriter, openContainer } from '@microlora/core';

/**
 * The pattern bank as the page last saved it (TaloraManager.save(): patterns with the
 * metrics your ratings changed), tied to the shipped files it started from.
 */
export const PATTERN_FILE = { magic: 'MLAP', version: 1, what: 'stored pattern bank' } as const;

export interface PatternFile {
  /** CRC-32 of the model file the patterns adapt. */
  modelCrc: number;
  /** CRC-32 of the shipped patterns file this bank was loaded from. */
  shippedCrc: number;
  /** TaloraManager.save() bytes. */
  talora: Uint8Array;
}

export function encodePatternFile(file: PatternFile): Uint8Array {
  const w = new ByteWriter(PATTERN_FILE, file.talora.length + 32);
  w.u32(file.modelCrc >>> 0);
  w.u32(file.shippedCrc >>> 0);
  w.u32(file.talora.length);
  w.bytes(file.talora);
  return w.finish();
}

/** Reads encodePatternFile's bytes (CORRUPT_DATA / UNSUPPORTED_VERSION); the TALoRA bytes are checked by TaloraManager.load. */
export function decodePatternFile(bytes: Uint8Array): PatternFile {
  const r = openContainer(bytes, PATTERN_FILE);
  const modelCrc = r.u32('model CRC');
  const shippedCrc = r.u32('shipped patterns CRC');
  const talora = r.bytes(r.u32('TALoRA length'), 'TALoRA bytes').slice();
  r.expectEnd();
  return { modelCrc, shippedCrc, talora };
}
