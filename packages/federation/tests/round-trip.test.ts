import { beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { encodeBinary } from '@microlora/quantization';
import type { Pattern } from '@microlora/core';
import {
  ReplayGuard,
  TrustedKeys,
  canonicalPatternBytes,
  contentHashOf,
  exportBundle,
  generateSigningKey,
  gaussianSigma,
  importBundle,
  signPattern,
} from '@microlora/federation';
import type { SigningKey } from '@microlora/federation';
import { NOW, limits, makeLora, makePattern } from './helpers/fixtures.js';

let origin: SigningKey;
let exporter: SigningKey;
let trusted: TrustedKeys;

beforeAll(async () => {
  origin = await generateSigningKey();
  exporter = await generateSigningKey();
  trusted = await TrustedKeys.from([origin, exporter]);
});

async function signed(spec: Parameters<typeof makePattern>[0]): Promise<Pattern> {
  return signPattern(makePattern(spec), origin);
}

function importOptions(overrides: Partial<Parameters<typeof importBundle>[1]> = {}) {
  return { trustedKeys: trusted, limits: limits(), seen: new ReplayGuard(), now: NOW, ...overrides };
}

describe('honest bundles', () => {
  it('round-trip bit-exact: weights, embeddings, metrics, policy and provenance', async () => {
    const a = await signed({ id: 'a', seed: 1 });
    const b = await signed({ id: 'b', seed: 2, policy: { groupId: 'g', tenantId: 't' } });
    b.metrics.successRate = 0.1 + 0.2; // not representable exactly in decimal: must survive as the same double
    b.metrics.avgLatencyMs = Number.MIN_VALUE;
    const withParents = await signPattern({ ...makePattern({ id: 'c', seed: 3 }), provenance: { originKeyId: '', createdAt: NOW - 5, parentIds: ['a', 'b', 'ü-✓'] } }, origin);
    const { bytes, stats } = await exportBundle([a, b, withParents], { recipientTier: 'public', signingKey: exporter, now: NOW });
    expect(stats).toMatchObject({ exported: 3, withheld: 0, signedByExporter: 0, dp: null, bytes: bytes.length });
    const result = await importBundle(bytes, importOptions());
    expect(result.patterns).toStrictEqual([a, b, withParents]);
    for (const [i, p] of [a, b, withParents].entries()) {
      const got = result.patterns[i]!;
      expect(new Uint8Array(got.embedding.buffer)).toStrictEqual(new Uint8Array(p.embedding.buffer));
      expect(encodeBinary(got.lora)).toStrictEqual(encodeBinary(p.lora));
      expect(Object.is(got.metrics.successRate, p.metrics.successRate)).toBe(true);
    }
    expect(result).toMatchObject({ exporterKeyId: exporter.keyId, createdAt: NOW, audience: { tier: 'public' }, dp: null });
    expect(result.bundleHash).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('every scheme survives (asymmetric zero points, grouped scales)', async () => {
    const { compress } = await import('@microlora/quantization');
    const { makeWeights } = await import('./helpers/fixtures.js');
    const w = makeWeights(9, 3);
    const patterns = await Promise.all(
      (['per-tensor', 'per-row', 'asymmetric', 'grouped'] as const).map((scheme, i) =>
        signed({ id: scheme, lora: scheme === 'grouped' ? compress(w, scheme, { groupSize: 4 }) : compress(w, scheme), seed: i, rank: 3 }),
      ),
    );
    const { bytes } = await exportBundle(patterns, { recipientTier: 'public', signingKey: exporter, now: NOW });
    const result = await importBundle(bytes, importOptions());
    expect(result.patterns).toStrictEqual(patterns);
  });

  it('is deterministic: the same export twice gives the same bytes', async () => {
    const a = await signed({ id: 'a' });
    const one = await exportBundle([a], { recipientTier: 'public', signingKey: exporter, now: NOW });
    const two = await exportBundle([a], { recipientTier: 'public', signingKey: exporter, now: NOW });
    expect(one.bytes).toStrictEqual(two.bytes);
  });

  it('an empty bundle is valid and imports to nothing', async () => {
    const { bytes } = await exportBundle([], { recipientTier: 'public', signingKey: exporter, now: NOW });
    expect((await importBundle(bytes, importOptions())).patterns).toStrictEqual([]);
  });
});

describe('what the exporter withholds', () => {
  it('never writes a pattern its policy forbids, and counts why', async () => {
    const patterns = [
      await signed({ id: 'public' }),
      await signed({ id: 'tenant', policy: { tier: 'tenant', tenantId: 't1' } }),
      await signed({ id: 'group', policy: { tier: 'group', groupId: 'g1' } }),
      await signed({ id: 'private', policy: { tier: 'private' } }),
      await signed({ id: 'no-consent', policy: { consent: false } }),
      makePattern({ id: 'other-unsigned', originKeyId: 'someone-else' }),
      { ...(await signed({ id: 'stale' })), timestepRange: [0, 1] as const },
      makePattern({ id: 'mine-unsigned', originKeyId: exporter.keyId }),
    ];
    const { bytes, stats } = await exportBundle(patterns, { recipientTier: 'public', signingKey: exporter, now: NOW });
    expect(stats.exported).toBe(2);
    expect(stats.withheld).toBe(6);
    expect(stats.withheldByReason).toStrictEqual({
      private: 1,
      'no-consent': 1,
      'tier-too-low': 2,
      'audience-mismatch': 0,
      unsigned: 1,
      'stale-signature': 1,
    });
    expect(stats.withheldIds.map((w) => w.id)).toStrictEqual(['tenant', 'group', 'private', 'no-consent', 'other-unsigned', 'stale']);
    expect(stats.signedByExporter).toBe(1);
    const text = new TextDecoder('latin1').decode(bytes);
    for (const id of ['tenant', 'group', 'private', 'no-consent', 'other-unsigned', 'stale']) {
      expect(text.includes(`owner-${id}`)).toBe(false);
    }
    const result = await importBundle(bytes, importOptions());
    expect(result.patterns.map((p) => p.id)).toStrictEqual(['public', 'mine-unsigned']);
    expect(result.patterns[1]).toStrictEqual(await signPattern(patterns[7]!, exporter));
  });

  it('sends tenant patterns only to their tenant, group patterns only to their group', async () => {
    const t1 = await signed({ id: 't1', policy: { tier: 'tenant', tenantId: 't1' } });
    const t2 = await signed({ id: 't2', policy: { tier: 'tenant', tenantId: 't2' } });
    const g1 = await signed({ id: 'g1', policy: { tier: 'group', groupId: 'g1', tenantId: 't1' } });
    const pub = await signed({ id: 'pub' });
    const tenantBundle = await exportBundle([t1, t2, g1, pub], { recipientTier: 'tenant', tenant: 't1', signingKey: exporter, now: NOW });
    expect(tenantBundle.stats.withheldIds).toStrictEqual([
      { id: 't2', reason: 'audience-mismatch' },
      { id: 'g1', reason: 'tier-too-low' },
    ]);
    const groupBundle = await exportBundle([t1, t2, g1, pub], { recipientTier: 'group', group: 'g1', tenant: 't1', signingKey: exporter, now: NOW });
    expect(groupBundle.stats.withheldIds).toStrictEqual([{ id: 't2', reason: 'audience-mismatch' }]);
    const imported = await importBundle(groupBundle.bytes, importOptions({ recipient: { group: 'g1', tenant: 't1' } }));
    expect(imported.patterns.map((p) => p.id)).toStrictEqual(['t1', 'g1', 'pub']);
    expect(imported.audience).toStrictEqual({ tier: 'group', group: 'g1', tenant: 't1' });
  });

  it("refuses a 'private' audience and malformed input outright", async () => {
    const a = await signed({ id: 'a' });
    await expect(exportBundle([a], { recipientTier: 'private', signingKey: exporter })).rejects.toMatchObject({ code: 'POLICY_VIOLATION' });
    await expect(exportBundle([a], { recipientTier: 'group', signingKey: exporter })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(exportBundle([a, a], { recipientTier: 'public', signingKey: exporter })).rejects.toMatchObject({ code: 'DUPLICATE_ID' });
    const nan = { ...a, embedding: Float32Array.of(Number.NaN, 1) };
    await expect(exportBundle([nan], { recipientTier: 'public', signingKey: exporter })).rejects.toMatchObject({ code: 'NON_FINITE' });
    const badMetrics = { ...a, metrics: { ...a.metrics, successRate: 3 } };
    await expect(exportBundle([badMetrics], { recipientTier: 'public', signingKey: exporter })).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
    await expect(exportBundle([a], { recipientTier: 'public', signingKey: {} as SigningKey })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('differentially private bundles', () => {
  it('noise, re-quantise and re-sign as the exporter; the importer sees (ε, δ)', async () => {
    const a = await signed({ id: 'a', seed: 5 });
    const dp = { epsilon: 0.5, delta: 1e-5, clipNorm: 1, seed: 42 };
    const { bytes, stats } = await exportBundle([a], { recipientTier: 'public', signingKey: exporter, dp, now: NOW });
    const sigma = gaussianSigma(0.5, 1e-5, 1);
    expect(stats.dp).toStrictEqual({ epsilon: 0.5, delta: 1e-5, clipNorm: 1, sigma });
    expect(stats.signedByExporter).toBe(1);
    // σ ≈ 9.7·C per coordinate: the noised ΔW is far larger than any honest one.
    const result = await importBundle(bytes, importOptions({ limits: limits({ maxNorm: Number.POSITIVE_INFINITY }) }));
    expect(result.dp).toStrictEqual({ epsilon: 0.5, delta: 1e-5, clipNorm: 1, sigma });
    const got = result.patterns[0]!;
    expect(got.provenance.originKeyId).toBe(exporter.keyId);
    expect(got.provenance.createdAt).toBe(a.provenance.createdAt);
    expect(got.embedding).toStrictEqual(a.embedding);
    expect(got.lora.scheme).toBe(a.lora.scheme);
    expect(encodeBinary(got.lora)).not.toStrictEqual(encodeBinary(a.lora));
    expect(got.provenance.contentHash).toBe(await contentHashOf(got));
    // Seeded noise is reproducible.
    const again = await exportBundle([a], { recipientTier: 'public', signingKey: exporter, dp, now: NOW });
    expect(again.bytes).toStrictEqual(bytes);
  });
});

describe('canonical encoding', () => {
  it('is the same for the same content, ignores metrics and signature, and changes with any signed field', async () => {
    const p = makePattern({ id: 'x', lora: makeLora(3) });
    const base = canonicalPatternBytes(p);
    expect(canonicalPatternBytes({ ...p, metrics: { ...p.metrics, usageCount: 999 } })).toStrictEqual(base);
    const s = await signPattern(p, origin);
    expect(canonicalPatternBytes({ ...s, provenance: { ...s.provenance, originKeyId: '' } })).toStrictEqual(base);
    const variants: Pattern[] = [
      { ...p, id: 'y' },
      { ...p, embedding: Float32Array.from(p.embedding, (v, i) => (i === 0 ? v + 1 : v)) },
      { ...p, lora: makeLora(4) },
      { ...p, timestepRange: [0.25, 0.5] },
      { ...p, policy: { ...p.policy, tier: 'tenant' } },
      { ...p, policy: { ...p.policy, consent: false } },
      { ...p, policy: { ...p.policy, groupId: '' } },
      { ...p, provenance: { ...p.provenance, createdAt: p.provenance.createdAt + 1 } },
      { ...p, provenance: { ...p.provenance, parentIds: ['q'] } },
    ];
    const hashes = new Set([await contentHashOf(p), ...(await Promise.all(variants.map((v) => contentHashOf(v))))]);
    expect(hashes.size).toBe(variants.length + 1);
    expect(await contentHashOf(p)).toBe(createHash('sha256').update(base).digest('hex'));
  });
});
