// Standard base64 (RFC 4648 §4) with padding, written out because ES2022 has no
// portable codec (Buffer is Node-only; atob/btoa work on strings, not bytes).
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < 64; i++) t[ALPHABET.charCodeAt(i)] = i;
  return t;
})();

/** Length of the padded base64 text of n bytes. */
export function base64Length(byteLength: number): number {
  return 4 * Math.ceil(byteLength / 3);
}

export function encodeBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let chunk = '';
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    chunk += ALPHABET.charAt(n >>> 18) + ALPHABET.charAt((n >>> 12) & 63) + ALPHABET.charAt((n >>> 6) & 63) + ALPHABET.charAt(n & 63);
    if (chunk.length >= 8192) {
      parts.push(chunk);
      chunk = '';
    }
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] as number) << 16;
    chunk += ALPHABET.charAt(n >>> 18) + ALPHABET.charAt((n >>> 12) & 63) + '==';
  } else if (rest === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    chunk += ALPHABET.charAt(n >>> 18) + ALPHABET.charAt((n >>> 12) & 63) + ALPHABET.charAt((n >>> 6) & 63) + '=';
  }
  parts.push(chunk);
  return parts.join('');
}

function sextet(text: string, i: number): number {
  const code = text.charCodeAt(i);
  return code < 128 ? (DECODE[code] as number) : -1;
}

/**
 * Strict decoding into exactly `expectedLength` bytes: the text length must match,
 * only the alphabet and final padding are allowed, and unused bits must be zero
 * (so each byte string has exactly one accepted text). Returns undefined otherwise.
 */
export function decodeBase64(text: string, expectedLength: number): Uint8Array | undefined {
  if (text.length !== base64Length(expectedLength)) return undefined;
  const out = new Uint8Array(expectedLength);
  const full = Math.floor(expectedLength / 3);
  let o = 0;
  let p = 0;
  for (let k = 0; k < full; k++, p += 4) {
    const a = sextet(text, p);
    const b = sextet(text, p + 1);
    const c = sextet(text, p + 2);
    const d = sextet(text, p + 3);
    if ((a | b | c | d) < 0) return undefined;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = n >>> 16;
    out[o++] = (n >>> 8) & 255;
    out[o++] = n & 255;
  }
  const rest = expectedLength - full * 3;
  if (rest === 1) {
    const a = sextet(text, p);
    const b = sextet(text, p + 1);
    if ((a | b) < 0 || (b & 15) !== 0 || text[p + 2] !== '=' || text[p + 3] !== '=') return undefined;
    out[o] = (a << 2) | (b >>> 4);
  } else if (rest === 2) {
    const a = sextet(text, p);
    const b = sextet(text, p + 1);
    const c = sextet(text, p + 2);
    if ((a | b | c) < 0 || (c & 3) !== 0 || text[p + 3] !== '=') return undefined;
    out[o++] = (a << 2) | (b >>> 4);
    out[o] = ((b & 15) << 4) | (c >>> 2);
  }
  return out;
}
