import { ByteWriter, corrupt, isMicroLoraError, openContainer, type ContainerFormat } from '@microlora/core';
import { MAX_BANKS, createBankLayout, type BankLayout } from './layout.js';

/**
 * TALoRA manager file, version 1, little-endian:
 *   "MLTM" u16 version
 *   u32 bankCount, f64 × (bankCount + 1) boundaries
 *   u32 inFeatures, u32 outFeatures (both 0 while the adapter shape is unknown)
 *   per bank, in bank order: u32 byteLength + the bank's own save() bytes ("MLBK", with its own CRC)
 *   u32 CRC-32 of everything before it
 */
export const TALORA_FORMAT: ContainerFormat = { magic: 'MLTM', version: 1, what: 'TALoRA manager' };

export interface ManagerFileContents {
  layout: BankLayout;
  shape: { inFeatures: number; outFeatures: number } | undefined;
  /** Views into the input, one per bank. */
  banks: Uint8Array[];
}

export function encodeManagerFile(
  layout: BankLayout,
  shape: { inFeatures: number; outFeatures: number } | undefined,
  banks: readonly Uint8Array[],
): Uint8Array {
  const total = banks.reduce((n, b) => n + b.length + 4, 0);
  const w = new ByteWriter(TALORA_FORMAT, 64 + layout.boundaries.length * 8 + total);
  w.u32(layout.bankCount);
  for (const b of layout.boundaries) w.f64(b);
  w.u32(shape?.inFeatures ?? 0);
  w.u32(shape?.outFeatures ?? 0);
  for (const bank of banks) {
    w.u32(bank.length);
    w.bytes(bank);
  }
  return w.finish();
}

/** Truncated or corrupted input → CORRUPT_DATA; another version → UNSUPPORTED_VERSION. Bank bytes are checked by the banks. */
export function decodeManagerFile(bytes: Uint8Array): ManagerFileContents {
  const r = openContainer(bytes, TALORA_FORMAT);
  const bankCount = r.u32('bankCount');
  if (bankCount < 1 || bankCount > MAX_BANKS) {
    throw corrupt(TALORA_FORMAT.what, `bank count ${bankCount} is outside [1, ${MAX_BANKS}]`);
  }
  r.need((bankCount + 1) * 8, 'boundaries');
  const boundaries: number[] = [];
  for (let i = 0; i <= bankCount; i++) boundaries.push(r.f64('boundaries'));
  let layout: BankLayout;
  try {
    layout = createBankLayout(boundaries);
  } catch (cause) {
    if (!isMicroLoraError(cause)) throw cause;
    throw corrupt(TALORA_FORMAT.what, `its boundaries are invalid: ${cause.message}`, cause);
  }
  const inFeatures = r.u32('inFeatures');
  const outFeatures = r.u32('outFeatures');
  if ((inFeatures === 0) !== (outFeatures === 0)) {
    throw corrupt(TALORA_FORMAT.what, `adapter shape ${inFeatures} × ${outFeatures} is half unknown`);
  }
  const banks: Uint8Array[] = [];
  for (let i = 0; i < bankCount; i++) {
    const length = r.u32(`bank ${i} length`);
    banks.push(r.bytes(length, `bank ${i}`));
  }
  r.expectEnd();
  return { layout, shape: inFeatures === 0 ? undefined : { inFeatures, outFeatures }, banks };
}
