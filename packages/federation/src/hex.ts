const DIGITS = '0123456789abcdef';

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    out += (DIGITS[b >> 4] as string) + (DIGITS[b & 15] as string);
  }
  return out;
}
