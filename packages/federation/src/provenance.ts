import { MicroLoraError } from '@microlora/core';
import type { Pattern } from '@microlora/core';
import { decodeBase64, encodeBase64 } from './base64.js';
import { canonicalPatternBytes } from './canonical-pattern.js';
import { toHex } from './hex.js';
import { assertSigningKey } from './signing-key.js';
import type { SigningKey } from './signing-key.js';
import { assertTrustedKeys } from './trusted-keys.js';
import type { TrustedKeys } from './trusted-keys.js';
import { SIGNATURE_BYTES, ed25519Sign, ed25519Verify, sha256 } from './webcrypto.js';

/** Prefix of every pattern signature's message, so that no other signed message (a bundle) can pass for one. */
const PATTERN_SIGNATURE_DOMAIN = /* @__PURE__ */ new Uint8Array([...'microlora/pattern-signature/v1\0'].map((c) => c.charCodeAt(0)));

/** The message an origin signs: the domain tag, then the raw 32-byte content hash. */
export function patternSignatureMessage(hash: Uint8Array): Uint8Array {
  const message = new Uint8Array(PATTERN_SIGNATURE_DOMAIN.length + hash.length);
  message.set(PATTERN_SIGNATURE_DOMAIN);
  message.set(hash, PATTERN_SIGNATURE_DOMAIN.length);
  return message;
}

/** A raw signature over canonical bytes, with their hash. */
export async function signCanonicalBytes(bytes: Uint8Array, key: SigningKey): Promise<{ hash: Uint8Array; signature: Uint8Array }> {
  const hash = await sha256(bytes);
  return { hash, signature: await ed25519Sign(key.privateKey, patternSignatureMessage(hash)) };
}

function badSignature(message: string, details: Record<string, unknown>): MicroLoraError {
  return new MicroLoraError('BAD_SIGNATURE', message, { details });
}

/** Verifies an origin's signature over a content hash; BAD_SIGNATURE naming the reason otherwise. */
export async function verifyHashSignature(
  hash: Uint8Array,
  signature: Uint8Array,
  originKeyId: string,
  trustedKeys: TrustedKeys,
  where: string,
): Promise<void> {
  const key = trustedKeys.verifyKey(originKeyId);
  if (key === undefined) {
    throw badSignature(`${where} is signed by key ${JSON.stringify(originKeyId)}, which is not trusted; add its public key to trustedKeys`, {
      where,
      reason: 'unknown-key',
      keyId: originKeyId,
    });
  }
  if (!(await ed25519Verify(key, signature, patternSignatureMessage(hash)))) {
    throw badSignature(`${where}: the signature does not match its content and key ${originKeyId} (forged or altered)`, {
      where,
      reason: 'invalid-signature',
      keyId: originKeyId,
    });
  }
}

/**
 * Signs a pattern as its origin: returns a copy whose provenance names the key
 * (`originKeyId = key.keyId`), holds the hex SHA-256 of the canonical bytes
 * (`contentHash`) and the base64 Ed25519 signature over it. Metrics are not signed.
 */
export async function signPattern<P extends Pattern>(pattern: P, key: SigningKey): Promise<P> {
  assertSigningKey(key);
  const { contentHash: _hash, signature: _signature, ...unsigned } = pattern.provenance;
  const provenance = { ...unsigned, originKeyId: key.keyId };
  const { hash, signature } = await signCanonicalBytes(canonicalPatternBytes({ ...pattern, provenance }), key);
  return { ...pattern, provenance: { ...provenance, contentHash: toHex(hash), signature: encodeBase64(signature) } };
}

/**
 * Checks that a pattern is unaltered since its origin signed it and that the
 * origin is trusted. Throws BAD_SIGNATURE (unsigned, untrusted key, content
 * changed, invalid signature) or the validation error of a malformed pattern.
 */
export async function verifyPattern(pattern: Pattern, trustedKeys: TrustedKeys): Promise<void> {
  assertTrustedKeys(trustedKeys);
  const where = `pattern ${JSON.stringify(pattern.id)}`;
  const { contentHash, signature, originKeyId } = pattern.provenance;
  if (typeof signature !== 'string' || typeof contentHash !== 'string') {
    throw badSignature(`${where} is not signed; call signPattern first`, { where, reason: 'unsigned' });
  }
  const hash = await sha256(canonicalPatternBytes(pattern));
  if (toHex(hash) !== contentHash) {
    throw badSignature(`${where} changed after it was signed (content hash ${toHex(hash)} ≠ ${contentHash}); sign it again`, {
      where,
      reason: 'content-changed',
    });
  }
  let raw: Uint8Array;
  try {
    raw = decodeBase64(signature, 'provenance.signature');
  } catch (cause) {
    throw new MicroLoraError('BAD_SIGNATURE', `${where} signature is not base64`, { cause, details: { where, reason: 'malformed' } });
  }
  if (raw.length !== SIGNATURE_BYTES) {
    throw badSignature(`${where} signature has ${raw.length} bytes, Ed25519 has ${SIGNATURE_BYTES}`, { where, reason: 'malformed' });
  }
  await verifyHashSignature(hash, raw, originKeyId, trustedKeys, where);
}
