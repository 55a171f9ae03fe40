import { beforeAll, describe, expect, it } from 'vitest';
import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import type { Pattern } from '@microlora/core';
import {
  KEY_ID_HEX_LENGTH,
  TrustedKeys,
  canonicalPatternBytes,
  exportSigningKey,
  generateSigningKey,
  importSigningKey,
  keyIdOf,
  signPattern,
  verifyPattern,
} from '@microlora/federation';
import type { SigningKey } from '@microlora/federation';
import { makeLora, makePattern } from './helpers/fixtures.js';

let alice: SigningKey;
let bob: SigningKey;
let trusted: TrustedKeys;

beforeAll(async () => {
  [alice, bob] = await Promise.all([generateSigningKey(), generateSigningKey()]);
  trusted = await TrustedKeys.from([alice]);
});

async function expectBadSignature(pattern: Pattern, reason: string, keys = trusted): Promise<void> {
  await expect(verifyPattern(pattern, keys)).rejects.toMatchObject({ code: 'BAD_SIGNATURE', details: expect.objectContaining({ reason }) });
}

describe('keys', () => {
  it('key ids are the first 128 bits of SHA-256 of the raw public key, in hex', async () => {
    expect(alice.publicKey).toHaveLength(32);
    expect(alice.keyId).toHaveLength(KEY_ID_HEX_LENGTH);
    expect(alice.keyId).toBe(createHash('sha256').update(alice.publicKey).digest('hex').slice(0, 32));
    expect(await keyIdOf(alice.publicKey)).toBe(alice.keyId);
    expect(alice.keyId).not.toBe(bob.keyId);
    expect(alice.privateKey.extractable).toBe(false);
    await expect(keyIdOf(new Uint8Array(31))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('an extractable key survives export and import; a mismatched pair is refused', async () => {
    const key = await generateSigningKey({ extractable: true });
    const restored = await importSigningKey(await exportSigningKey(key), key.publicKey);
    expect(restored.keyId).toBe(key.keyId);
    const signed = await signPattern(makePattern({ id: 'k' }), restored);
    await verifyPattern(signed, await TrustedKeys.from([key.publicKey]));
    await expect(importSigningKey(await exportSigningKey(key), alice.publicKey)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(exportSigningKey(alice)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(importSigningKey(new Uint8Array(10), key.publicKey)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('TrustedKeys add, has and delete', async () => {
    const keys = new TrustedKeys();
    expect(await keys.add(bob.publicKey)).toBe(bob.keyId);
    expect(keys.has(bob.keyId)).toBe(true);
    expect(keys.keyIds()).toStrictEqual([bob.keyId]);
    expect(keys.delete(bob.keyId)).toBe(true);
    expect(keys.size).toBe(0);
    await expect(keys.add(new Uint8Array(32).fill(1).subarray(0, 16))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('signPattern / verifyPattern', () => {
  it('makes the signer the origin and records the content hash and an Ed25519 signature', async () => {
    const p = makePattern({ id: 'p', originKeyId: 'whoever' });
    const s = await signPattern(p, alice);
    expect(s.provenance.originKeyId).toBe(alice.keyId);
    expect(s.provenance.contentHash).toBe(createHash('sha256').update(canonicalPatternBytes(s)).digest('hex'));
    expect(s.provenance.signature).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    expect(p.provenance.signature).toBeUndefined(); // the input is not modified
    await verifyPattern(s, trusted);
  });

  it('signs "microlora/pattern-signature/v1\\0" ‖ SHA-256(canonical bytes), checkable without this package', async () => {
    const s = await signPattern(makePattern({ id: 'x' }), alice);
    const hash = createHash('sha256').update(canonicalPatternBytes(s)).digest();
    const message = Buffer.concat([Buffer.from('microlora/pattern-signature/v1\0', 'latin1'), hash]);
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(alice.publicKey).toString('base64url') }, format: 'jwk' });
    expect(nodeVerify(null, message, publicKey, Buffer.from(s.provenance.signature!, 'base64'))).toBe(true);
  });

  it('metrics are not signed: usage may change without re-signing', async () => {
    const s = await signPattern(makePattern({ id: 'm' }), alice);
    await verifyPattern({ ...s, metrics: { ...s.metrics, usageCount: 1e6, successRate: 0 } }, trusted);
  });

  it('detects every change to signed content', async () => {
    const s = await signPattern(makePattern({ id: 'c' }), alice);
    const changed: Pattern[] = [
      { ...s, id: 'd' },
      { ...s, embedding: s.embedding.map((v, i) => (i === 2 ? -v : v)) },
      { ...s, lora: makeLora(50) },
      { ...s, timestepRange: [0, 0.75] },
      { ...s, policy: { ...s.policy, tier: 'tenant' } },
      { ...s, policy: { ...s.policy, ownerId: 'mallory' } },
      { ...s, provenance: { ...s.provenance, parentIds: ['fake-parent'] } },
      { ...s, provenance: { ...s.provenance, createdAt: 0 } },
    ];
    for (const c of changed) await expectBadSignature(c, 'content-changed');
    // Claiming another origin with a recomputed hash: the signature no longer matches.
    const hash = createHash('sha256').update(canonicalPatternBytes({ ...s, id: 'd' })).digest('hex');
    await expectBadSignature({ ...s, id: 'd', provenance: { ...s.provenance, contentHash: hash } }, 'invalid-signature');
  });

  it('rejects unsigned, untrusted, tampered and malformed signatures', async () => {
    const s = await signPattern(makePattern({ id: 's' }), alice);
    await expectBadSignature(makePattern({ id: 'u' }), 'unsigned');
    await expectBadSignature(await signPattern(makePattern({ id: 'b' }), bob), 'unknown-key');
    const other = await signPattern(makePattern({ id: 's2' }), alice);
    await expectBadSignature({ ...s, provenance: { ...s.provenance, signature: other.provenance.signature! } }, 'invalid-signature');
    await expectBadSignature({ ...s, provenance: { ...s.provenance, signature: 'AAAA' } }, 'malformed');
    await expectBadSignature({ ...s, provenance: { ...s.provenance, signature: 'not base64!' } }, 'malformed');
    const keys = await TrustedKeys.from([alice]);
    keys.delete(alice.keyId);
    await expectBadSignature(s, 'unknown-key', keys);
  });

  it('refuses to sign malformed patterns', async () => {
    const p = makePattern({ id: 'bad' });
    await expect(signPattern({ ...p, id: '' }, alice)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(signPattern({ ...p, id: 'a\ud800' }, alice)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(signPattern({ ...p, id: 'x'.repeat(513) }, alice)).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
    await expect(signPattern({ ...p, timestepRange: [0.9, 0.1] }, alice)).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
    await expect(signPattern(p, { keyId: 'x' } as SigningKey)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
