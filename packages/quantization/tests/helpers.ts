import { expect } from 'vitest';
import { isMicroLoraError } from '@microlora/core';
import type { MicroLoraErrorCode } from '@microlora/core';
import { crc32 } from '@microlora/core';

/** The MicroLoraError code `fn` throws, undefined if it returns, or a description of a foreign error. */
export function codeOf(fn: () => unknown): MicroLoraErrorCode | string | undefined {
  try {
    fn();
  } catch (err) {
    return isMicroLoraError(err) ? err.code : `not a MicroLoraError: ${String(err)}`;
  }
  return undefined;
}

export function expectCode(fn: () => unknown, code: MicroLoraErrorCode): void {
  expect(codeOf(fn)).toBe(code);
}

/** Rewrites the trailing CRC-32 so that a deliberate edit reaches the field checks. */
export function withFixedCrc(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
