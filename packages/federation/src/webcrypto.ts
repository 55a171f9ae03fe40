import { MicroLoraError } from '@microlora/core';

/**
 * The parts of a WebCrypto `CryptoKey` this package reads. Real `CryptoKey`
 * objects (Node ≥ 20, browsers) satisfy it; the ES2022 lib has no DOM types.
 */
export interface CryptoKeyLike {
  readonly type: string;
  readonly extractable: boolean;
  readonly algorithm: { readonly name: string };
  readonly usages: readonly string[];
}

interface Algorithm {
  name: string;
}

/** The subset of `SubtleCrypto` used here. */
interface SubtleLike {
  generateKey(
    algorithm: Algorithm,
    extractable: boolean,
    usages: string[],
  ): Promise<{ publicKey: CryptoKeyLike; privateKey: CryptoKeyLike }>;
  importKey(
    format: 'raw' | 'pkcs8',
    data: Uint8Array,
    algorithm: Algorithm,
    extractable: boolean,
    usages: string[],
  ): Promise<CryptoKeyLike>;
  exportKey(format: 'raw' | 'pkcs8', key: CryptoKeyLike): Promise<ArrayBuffer>;
  sign(algorithm: Algorithm, key: CryptoKeyLike, data: Uint8Array): Promise<ArrayBuffer>;
  verify(algorithm: Algorithm, key: CryptoKeyLike, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
  digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer>;
}

interface CryptoLike {
  subtle?: SubtleLike;
  getRandomValues?<T extends Uint32Array>(array: T): T;
}

const ED25519: Algorithm = { name: 'Ed25519' };

/** Ed25519 signatures are always 64 bytes; raw public keys 32. */
export const SIGNATURE_BYTES = 64;
export const PUBLIC_KEY_BYTES = 32;

function platformCrypto(): CryptoLike {
  const c = (globalThis as { crypto?: CryptoLike }).crypto;
  if (c === undefined || c.subtle === undefined) {
    throw new MicroLoraError(
      'BACKEND_UNAVAILABLE',
      'globalThis.crypto.subtle is missing: federation needs WebCrypto (Node ≥ 20, or a browser page served over HTTPS / localhost)',
    );
  }
  return c;
}

export function subtle(): SubtleLike {
  return platformCrypto().subtle as SubtleLike;
}

/** Wraps a platform failure (e.g. a browser without Ed25519) as BACKEND_UNAVAILABLE. */
function unavailable(operation: string, cause: unknown): MicroLoraError {
  return new MicroLoraError(
    'BACKEND_UNAVAILABLE',
    `WebCrypto ${operation} failed (${cause instanceof Error ? cause.message : String(cause)}); ` +
      'Ed25519 needs Node ≥ 20, Chrome ≥ 137, Firefox ≥ 129 or Safari ≥ 17',
    { cause },
  );
}

// Copies views of shared or foreign buffers; WebCrypto rejects SharedArrayBuffer views in browsers.
function plain(bytes: Uint8Array): Uint8Array {
  return bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
}

export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  try {
    return new Uint8Array(await subtle().digest('SHA-256', plain(bytes)));
  } catch (cause) {
    if (cause instanceof MicroLoraError) throw cause;
    throw unavailable('SHA-256 digest', cause);
  }
}

export async function generateEd25519(extractable: boolean): Promise<{ publicKey: CryptoKeyLike; privateKey: CryptoKeyLike }> {
  try {
    return await subtle().generateKey(ED25519, extractable, ['sign', 'verify']);
  } catch (cause) {
    if (cause instanceof MicroLoraError) throw cause;
    throw unavailable('Ed25519 key generation', cause);
  }
}

export async function exportRawPublicKey(key: CryptoKeyLike): Promise<Uint8Array> {
  return new Uint8Array(await subtle().exportKey('raw', key));
}

/** Imports a raw 32-byte Ed25519 public key; INVALID_ARGUMENT when the platform rejects the bytes. */
export async function importPublicKey(raw: Uint8Array): Promise<CryptoKeyLike> {
  try {
    return await subtle().importKey('raw', plain(raw), ED25519, true, ['verify']);
  } catch (cause) {
    if (cause instanceof MicroLoraError) throw cause;
    throw new MicroLoraError('INVALID_ARGUMENT', 'the bytes are not a valid raw Ed25519 public key (32 bytes from exportKey("raw"))', {
      cause,
    });
  }
}

export async function importPrivateKey(pkcs8: Uint8Array, extractable: boolean): Promise<CryptoKeyLike> {
  try {
    return await subtle().importKey('pkcs8', plain(pkcs8), ED25519, extractable, ['sign']);
  } catch (cause) {
    if (cause instanceof MicroLoraError) throw cause;
    throw new MicroLoraError('INVALID_ARGUMENT', 'the bytes are not a PKCS#8 Ed25519 private key (exportKey("pkcs8"))', { cause });
  }
}

export async function ed25519Sign(privateKey: CryptoKeyLike, message: Uint8Array): Promise<Uint8Array> {
  try {
    return new Uint8Array(await subtle().sign(ED25519, privateKey, plain(message)));
  } catch (cause) {
    if (cause instanceof MicroLoraError) throw cause;
    throw new MicroLoraError(
      'INVALID_ARGUMENT',
      'signing failed: the signing key must be an Ed25519 private key with the "sign" usage (from generateSigningKey)',
      { cause },
    );
  }
}

/** False (never a throw) for a wrong-length or otherwise invalid signature. */
export async function ed25519Verify(publicKey: CryptoKeyLike, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
  if (signature.length !== SIGNATURE_BYTES) return false;
  try {
    return await subtle().verify(ED25519, publicKey, plain(signature), plain(message));
  } catch {
    return false;
  }
}

/** Fills `out` with cryptographically random 32-bit words (in chunks: getRandomValues caps at 64 KiB). */
export function randomU32(out: Uint32Array): Uint32Array {
  const c = platformCrypto();
  if (c.getRandomValues === undefined) {
    throw new MicroLoraError('BACKEND_UNAVAILABLE', 'globalThis.crypto.getRandomValues is missing; pass a seed for reproducible noise instead');
  }
  for (let i = 0; i < out.length; i += 16384) c.getRandomValues(out.subarray(i, Math.min(out.length, i + 16384)));
  return out;
}
