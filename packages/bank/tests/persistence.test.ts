import { describe, expect, it } from 'vitest';
import { ManualClock, SeededRng } from '@microlora/core';
import { encodeBinary } from '@microlora/quantization';
import { createFlatIndex, crc32 } from '@microlora/vector-index';
import { MicroLoraBank } from '@microlora/bank';
import { DIM, errorCode, patternInput, randomUnit } from './helpers.js';

async function populatedBank(n = 12, seed = 5): Promise<{ bank: MicroLoraBank; clock: ManualClock; rng: SeededRng }> {
  const clock = new ManualClock(1_000_000);
  const rng = new SeededRng(seed);
  const bank = new MicroLoraBank({
    timestepRange: [0.25, 0.75],
    maxPatterns: n,
    dimension: DIM,
    clock,
    scoring: { similarity: 0.6, quality: 0.3, recency: 0.1 },
    recencyHalfLifeMs: 60_000,
    oversample: 3,
    minSimilarity: 0.1,
    timestepPolicy: 'contain',
    defaultOwnerId: 'owner',
  });
  for (let i = 0; i < n + 3; i++) {
    clock.advance(1000);
    bank.insert(
      patternInput(`p${i}`, randomUnit(rng), {
        timestepRange: [0.3, 0.7],
        metrics: { successRate: rng.next() },
        ...(i % 3 === 0
          ? {
              policy: { tier: 'tenant', ownerId: 'o', tenantId: 't', consent: true },
              provenance: { originKeyId: 'k', createdAt: 5, parentIds: ['x', 'y'], contentHash: 'ab', signature: 'cd' },
            }
          : {}),
      }),
    );
    const existing = bank.patterns();
    if (i % 2 === 0) bank.recordUsage(existing[0]!.id, { latencyMs: i, userId: `u${i % 4}` });
    if (i % 4 === 0)
      bank.updateMetrics(existing[existing.length - 1]!.id, { quality: rng.next(), denoisingQuality: 0.5 });
  }
  for (let q = 0; q < 4; q++) bank.retrieve(randomUnit(rng), 3);
  return { bank, clock, rng };
}

describe('MicroLoraBank save/load', () => {
  it('round-trips the whole bank: settings, patterns, LRU order, counters, index', async () => {
    const { bank, clock, rng } = await populatedBank();
    const bytes = await bank.save();
    const loaded = await MicroLoraBank.load(bytes, { clock });
    expect(await loaded.save()).toEqual(bytes);
    for (const key of [
      'timestepRange',
      'maxPatterns',
      'dimension',
      'scoring',
      'recencyHalfLifeMs',
      'oversample',
      'minSimilarity',
      'maxRank',
      'timestepPolicy',
    ] as const) {
      expect(loaded[key]).toEqual(bank[key]);
    }
    const { p50RetrievalUs: _a, p99RetrievalUs: _b, ...stats } = bank.stats();
    const { p50RetrievalUs: _c, p99RetrievalUs: _d, ...loadedStats } = loaded.stats();
    expect(loadedStats).toEqual(stats);
    expect(loaded.patterns().map((p) => p.id)).toEqual(bank.patterns().map((p) => p.id));
    for (const p of bank.patterns()) {
      const q = loaded.get(p.id)!;
      expect({ ...q, lora: null }).toEqual({ ...p, lora: null });
      expect(encodeBinary(q.lora)).toEqual(encodeBinary(p.lora));
    }
    expect(loaded.index.size).toBe(bank.size);
    for (let i = 0; i < 20; i++) {
      const query = randomUnit(rng);
      const strip = (r: ReturnType<MicroLoraBank['retrieve']>): unknown =>
        r.map(({ id, similarity, score }) => ({ id, similarity, score }));
      expect(strip(loaded.retrieve(query, 4))).toEqual(strip(bank.retrieve(query, 4)));
    }
    // Running means and distinct users continue from the saved bookkeeping.
    const id = bank.patterns()[2]!.id;
    for (const b of [bank, loaded]) {
      b.recordUsage(id, { latencyMs: 7, userId: 'u1' });
      b.recordUsage(id, { userId: 'brand-new' });
      b.updateMetrics(id, { quality: 0.9, denoisingQuality: 0.1 });
    }
    expect(loaded.get(id)!.metrics).toEqual(bank.get(id)!.metrics);
    // The restored LRU order drives the same evictions.
    const next = patternInput('new', randomUnit(rng), { timestepRange: [0.3, 0.7] });
    expect(loaded.insert(next).evictedId).toBe(bank.insert(next).evictedId);
  });

  it('round-trips an empty bank and loads into a supplied empty index', async () => {
    const bank = new MicroLoraBank({ timestepRange: [0, 1], maxPatterns: 5, dimension: DIM });
    const loaded = await MicroLoraBank.load(await bank.save());
    expect(loaded.size).toBe(0);
    const { bank: full } = await populatedBank(4);
    const index = createFlatIndex({ dimension: DIM });
    const restored = await MicroLoraBank.load(await full.save(), { index });
    expect(restored.index).toBe(index);
    expect(index.size).toBe(4);
  });

  it('rejects a supplied index of another metric or kind, or a non-empty one', async () => {
    const { bank } = await populatedBank(3);
    const bytes = await bank.save();
    expect(
      await errorCode(() => MicroLoraBank.load(bytes, { index: createFlatIndex({ dimension: DIM, metric: 'l2' }) })),
    ).toBe('INVALID_ARGUMENT');
    const fake = Object.assign(createFlatIndex({ dimension: DIM }), { kind: 'hnsw' });
    expect(await errorCode(() => MicroLoraBank.load(bytes, { index: fake }))).toBe('INVALID_ARGUMENT');
    const busy = createFlatIndex({ dimension: DIM });
    busy.add('z', randomUnit(new SeededRng(1)));
    expect(await errorCode(() => MicroLoraBank.load(bytes, { index: busy }))).toBe('INVALID_ARGUMENT');
    expect(await errorCode(() => MicroLoraBank.load('bytes' as never))).toBe('INVALID_ARGUMENT');
  });

  it('turns every truncation and every single-byte corruption into CORRUPT_DATA / UNSUPPORTED_VERSION', async () => {
    const { bank } = await populatedBank(3);
    const bytes = await bank.save();
    for (let length = 0; length < bytes.length; length++) {
      expect([length, await errorCode(() => MicroLoraBank.load(bytes.subarray(0, length)))]).toEqual([
        length,
        'CORRUPT_DATA',
      ]);
    }
    const rng = new SeededRng(11);
    for (let trial = 0; trial < 300; trial++) {
      const copy = bytes.slice();
      const at = trial < 8 ? trial : rng.int(copy.length);
      copy[at] = copy[at]! ^ (1 + rng.int(255));
      const code = await errorCode(() => MicroLoraBank.load(copy));
      expect([at, code]).toEqual([at, at === 4 || at === 5 ? 'UNSUPPORTED_VERSION' : 'CORRUPT_DATA']);
    }
  });

  it('rejects structurally wrong content even when the checksum is valid', async () => {
    const { bank } = await populatedBank(3);
    const bytes = await bank.save();
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const resealed = (mutate: (copy: Uint8Array, v: DataView) => void): Uint8Array => {
      const copy = bytes.slice();
      const v = new DataView(copy.buffer);
      mutate(copy, v);
      v.setUint32(copy.length - 4, crc32(copy.subarray(0, copy.length - 4)), true);
      return copy;
    };
    // Header: magic(4) version(2) rangeStart f64 @6, rangeEnd f64 @14, maxPatterns u32 @22, dimension u32 @26.
    expect(view.getUint32(26, true)).toBe(DIM);
    const cases: Uint8Array[] = [
      resealed((_, v) => v.setFloat64(6, Number.NaN, true)),
      resealed((_, v) => v.setFloat64(14, 3, true)),
      resealed((_, v) => v.setUint32(22, 1, true)), // fewer slots than stored patterns
      resealed((_, v) => v.setUint32(26, DIM + 1, true)),
      resealed((_, v) => v.setUint32(26, 0, true)),
      resealed((_, v) => v.setFloat64(30, -1, true)), // negative scoring weight
      resealed((c) => c.fill(0xff, 100, 140)),
      resealed((c) => c.fill(0, 140, 400)),
      resealed((c) => c.fill(0x41, c.length - 200, c.length - 4)),
    ];
    for (const [i, corrupted] of cases.entries()) {
      expect([i, await errorCode(() => MicroLoraBank.load(corrupted))]).toEqual([i, 'CORRUPT_DATA']);
    }
  });
});
