import { MicroLoraError } from '@microlora/core';
import { toHex } from './hex.js';
import {
  PUBLIC_KEY_BYTES,
  ed25519Sign,
  ed25519Verify,
  exportRawPublicKey,
  generateEd25519,
  importPrivateKey,
  importPublicKey,
  sha256,
  subtle,
} from './webcrypto.js';
import type { CryptoKeyLike } from './webcrypto.js';

/** Hex characters of a key id: the first 128 bits of SHA-256(raw public key). */
export const KEY_ID_HEX_LENGTH = 32;

/** An Ed25519 key pair that signs patterns and bundles. */
export interface SigningKey {
  /** keyIdOf(publicKey). */
  readonly keyId: string;
  /** Raw 32-byte Ed25519 public key: give it to peers (TrustedKeys.add). */
  readonly publicKey: Uint8Array;
  /** WebCrypto private key; non-extractable unless asked for. */
  readonly privateKey: CryptoKeyLike;
}

function assertPublicKeyBytes(publicKey: unknown): asserts publicKey is Uint8Array {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_BYTES) {
    throw new MicroLoraError(
      'INVALID_ARGUMENT',
      `an Ed25519 public key must be a ${PUBLIC_KEY_BYTES}-byte Uint8Array (SigningKey.publicKey), got ${
        publicKey instanceof Uint8Array ? `${publicKey.length} bytes` : typeof publicKey
      }`,
    );
  }
}

/** The key id of a raw Ed25519 public key: hex of the first 16 bytes of its SHA-256 (32 characters). */
export async function keyIdOf(publicKey: Uint8Array): Promise<string> {
  assertPublicKeyBytes(publicKey);
  return toHex((await sha256(publicKey)).subarray(0, KEY_ID_HEX_LENGTH / 2));
}

/**
 * A fresh Ed25519 key through WebCrypto. The private key is non-extractable by
 * default; pass `{ extractable: true }` to persist it with exportSigningKey.
 */
export async function generateSigningKey(options: { extractable?: boolean } = {}): Promise<SigningKey> {
  const pair = await generateEd25519(options.extractable === true);
  const publicKey = await exportRawPublicKey(pair.publicKey);
  return { keyId: await keyIdOf(publicKey), publicKey, privateKey: pair.privateKey };
}

/** PKCS#8 bytes of an extractable signing key, for storage; keep them secret. */
export async function exportSigningKey(key: SigningKey): Promise<Uint8Array> {
  assertSigningKey(key);
  if (!key.privateKey.extractable) {
    throw new MicroLoraError(
      'INVALID_ARGUMENT',
      `signing key ${key.keyId} is not extractable; create it with generateSigningKey({ extractable: true }) to export it`,
    );
  }
  return new Uint8Array(await subtle().exportKey('pkcs8', key.privateKey));
}

/** Rebuilds a SigningKey from exportSigningKey bytes and its raw public key; checks that the two belong together. */
export async function importSigningKey(
  pkcs8: Uint8Array,
  publicKey: Uint8Array,
  options: { extractable?: boolean } = {},
): Promise<SigningKey> {
  assertPublicKeyBytes(publicKey);
  if (!(pkcs8 instanceof Uint8Array)) throw new MicroLoraError('INVALID_ARGUMENT', 'pkcs8 must be a Uint8Array');
  const privateKey = await importPrivateKey(pkcs8, options.extractable === true);
  const probe = new Uint8Array([0x6d, 0x6c, 0x2d, 0x6b, 0x65, 0x79]);
  const matches = await ed25519Verify(await importPublicKey(publicKey), await ed25519Sign(privateKey, probe), probe);
  if (!matches) {
    throw new MicroLoraError('INVALID_ARGUMENT', 'the private key does not match the public key; pass the pair saved together');
  }
  return { keyId: await keyIdOf(publicKey), publicKey: publicKey.slice(), privateKey };
}

/** Shape check of a SigningKey passed in by a caller. */
export function assertSigningKey(key: unknown): asserts key is SigningKey {
  const k = key as Partial<SigningKey> | null;
  if (
    typeof k !== 'object' ||
    k === null ||
    typeof k.keyId !== 'string' ||
    !(k.publicKey instanceof Uint8Array) ||
    typeof k.privateKey !== 'object' ||
    k.privateKey === null ||
    k.privateKey.type !== 'private'
  ) {
    throw new MicroLoraError('INVALID_ARGUMENT', 'signingKey must be a SigningKey from generateSigningKey() or importSigningKey()');
  }
}
