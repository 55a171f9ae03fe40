import { MicroLoraError } from '@microlora/core';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = /* @__PURE__ */ (() => {
  const table = new Int16Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  return table;
})();

/** Padded standard base64 (RFC 4648 §4). Implemented here: no Buffer or btoa, so it runs everywhere. */
export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i] as number;
    const b1 = bytes[i + 1];
    const b2 = bytes[i + 2];
    out += ALPHABET[b0 >> 2];
    out += ALPHABET[((b0 & 3) << 4) | ((b1 ?? 0) >> 4)];
    out += b1 === undefined ? '=' : ALPHABET[((b1 & 15) << 2) | ((b2 ?? 0) >> 6)];
    out += b2 === undefined ? '=' : ALPHABET[b2 & 63];
  }
  return out;
}

function invalid(name: string, reason: string): MicroLoraError {
  return new MicroLoraError('INVALID_ARGUMENT', `${name} is not canonical padded base64: ${reason}`, { details: { name, reason } });
}

/** Strict inverse of encodeBase64: only the canonical encoding of some bytes is accepted. */
export function decodeBase64(text: string, name: string): Uint8Array {
  if (typeof text !== 'string') throw invalid(name, `got ${typeof text}`);
  if (text.length % 4 !== 0) throw invalid(name, `length ${text.length} is not a multiple of 4`);
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    const q = [0, 1, 2, 3].map((k) => {
      const code = text.charCodeAt(i + k);
      if (last && k >= 4 - pad && code === 61) return 0;
      const v = code < 128 ? (LOOKUP[code] as number) : -1;
      if (v < 0) throw invalid(name, `character ${JSON.stringify(text[i + k])} at ${i + k}`);
      return v;
    }) as [number, number, number, number];
    const word = (q[0] << 18) | (q[1] << 12) | (q[2] << 6) | q[3];
    const bytes = [(word >> 16) & 255, (word >> 8) & 255, word & 255];
    const keep = last ? 3 - pad : 3;
    // Canonical: the bits dropped by the padding must be zero.
    if (last && pad > 0 && (word & ((1 << (8 * pad)) - 1)) !== 0) throw invalid(name, 'non-zero padding bits');
    for (let k = 0; k < keep; k++) out[o++] = bytes[k] as number;
  }
  return out;
}
