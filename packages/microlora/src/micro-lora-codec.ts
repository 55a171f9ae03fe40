import { ByteWriter, corrupt, crc32, openContainer, type ContainerFormat } from '@microlora/core';
import type { Embedder } from '@microlora/embed';
import type { IndexKind } from './options.js';

/**
 * MicroLoRA file, version 1, little-endian (strings are u32 byte length + UTF-8):
 *   "MLUM" u16 version
 *   str indexKind ('hamming' | 'flat' | 'custom'), u32 dimension, u32 hiddenSize,
 *   u32 embedderFingerprint (CRC-32 of the embedding of a fixed probe text)
 *   u32 byteLength + the TALoRA manager's save() bytes ("MLTM", with its own CRC)
 *   u32 CRC-32 of everything before it
 */
export const MICROLORA_FORMAT: ContainerFormat = { magic: 'MLUM', version: 1, what: 'MicroLoRA' };

const INDEX_KINDS: readonly IndexKind[] = ['hamming', 'flat', 'custom'];
const PROBE_TEXT = 'MicroLoRA embedder fingerprint: portrait photo, soft evening light, 42 words';

/** Identifies an embedder by its output: a different embedder would make saved keys meaningless. */
export function embedderFingerprint(embedder: Embedder): number {
  const v = embedder.embed(PROBE_TEXT);
  return crc32(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
}

export interface MicroLoraFileContents {
  indexKind: IndexKind;
  dimension: number;
  hiddenSize: number;
  embedderFingerprint: number;
  /** A view into the input. */
  manager: Uint8Array;
}

export function encodeMicroLoraFile(contents: MicroLoraFileContents): Uint8Array {
  const w = new ByteWriter(MICROLORA_FORMAT, 64 + contents.manager.length);
  w.string(contents.indexKind);
  w.u32(contents.dimension);
  w.u32(contents.hiddenSize);
  w.u32(contents.embedderFingerprint);
  w.u32(contents.manager.length);
  w.bytes(contents.manager);
  return w.finish();
}

/** Truncated or corrupted input → CORRUPT_DATA; another version → UNSUPPORTED_VERSION. */
export function decodeMicroLoraFile(bytes: Uint8Array): MicroLoraFileContents {
  const r = openContainer(bytes, MICROLORA_FORMAT);
  const indexKind = r.string('indexKind') as IndexKind;
  if (!INDEX_KINDS.includes(indexKind)) throw corrupt(MICROLORA_FORMAT.what, `index kind ${JSON.stringify(indexKind)} is unknown`);
  const dimension = r.u32('dimension');
  const hiddenSize = r.u32('hiddenSize');
  const fingerprint = r.u32('embedderFingerprint');
  const length = r.u32('manager length');
  const manager = r.bytes(length, 'manager');
  r.expectEnd();
  return { indexKind, dimension, hiddenSize, embedderFingerprint: fingerprint, manager };
}
