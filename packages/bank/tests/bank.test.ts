import { describe, expect, it } from 'vitest';
import { ManualClock, SeededRng, isCompressedLora, type Pattern } from '@microlora/core';
import { byteSize, compress, encodeBinary } from '@microlora/quantization';
import { createFlatIndex } from '@microlora/vector-index';
import { MicroLoraBank } from '@microlora/bank';
import { DIM, atCosine, e0, errorCode, patternInput, randomLora, randomUnit } from './helpers.js';

const DAY = 24 * 3600 * 1000;

function newBank(extra: Partial<ConstructorParameters<typeof MicroLoraBank>[0]> = {}): MicroLoraBank {
  return new MicroLoraBank({
    timestepRange: [0, 0.5],
    maxPatterns: 100,
    dimension: DIM,
    clock: new ManualClock(1_000_000),
    ...extra,
  });
}

/** Naive float64 blended score straight from the definition. */
function naiveScore(
  p: Pattern,
  query: Float32Array,
  now: number,
  w = { s: 0.5, q: 0.3, r: 0.2 },
  halfLife = 7 * DAY,
): number {
  let dot = 0;
  let nq = 0;
  let np = 0;
  for (let i = 0; i < query.length; i++) {
    dot += query[i]! * p.embedding[i]!;
    nq += query[i]! ** 2;
    np += p.embedding[i]! ** 2;
  }
  const cos = dot / Math.sqrt(nq * np);
  const recency = Math.pow(0.5, Math.max(0, now - p.metrics.lastUsed) / halfLife);
  return w.s * ((cos + 1) / 2) + w.q * p.metrics.successRate + w.r * recency;
}

describe('MicroLoraBank insert', () => {
  it('stores a validated pattern with defaults and compresses f32 weights per row', () => {
    const clock = new ManualClock(5000);
    const bank = newBank({ clock });
    const lora = randomLora(1);
    const embedding = randomUnit(new SeededRng(1));
    const result = bank.insert({ id: 'p1', embedding, lora, timestepRange: [0.1, 0.2] });
    expect(result).toEqual({ id: 'p1', evictedId: undefined, replaced: false });
    const p = bank.get('p1')!;
    expect(isCompressedLora(p.lora)).toBe(true);
    expect(encodeBinary(p.lora)).toEqual(encodeBinary(compress(lora, 'per-row')));
    expect(p.metrics).toEqual({
      successRate: 0.5,
      feedbackCount: 0,
      usageCount: 0,
      avgLatencyMs: 0,
      denoisingQuality: 0,
      distinctUsers: 0,
      lastUsed: 5000,
      createdAt: 5000,
    });
    expect(p.policy).toEqual({ tier: 'private', ownerId: 'local', consent: false });
    expect(p.provenance).toEqual({ originKeyId: 'local', createdAt: 5000, parentIds: [] });
    // The embedding is copied: reusing the caller's buffer does not change the pattern.
    const before = p.embedding.slice();
    embedding.fill(0);
    expect(p.embedding).toEqual(before);
    expect(bank.index.has('p1')).toBe(true);
    expect(bank.has('p1')).toBe(true);
    expect(bank.size).toBe(1);
  });

  it('keeps given metrics, policy, provenance and an already compressed lora', () => {
    const bank = newBank();
    const lora = compress(randomLora(2), 'per-tensor');
    bank.insert(
      patternInput('p', e0(), {
        lora,
        metrics: { successRate: 0.9, feedbackCount: 4 },
        policy: { tier: 'group', ownerId: 'u1', groupId: 'g', consent: true },
        provenance: { originKeyId: 'k', createdAt: 1, parentIds: ['a', 'b'] },
      }),
    );
    const p = bank.get('p')!;
    expect(p.lora).toBe(lora);
    expect(p.metrics.successRate).toBe(0.9);
    expect(p.metrics.feedbackCount).toBe(4);
    expect(p.policy).toEqual({ tier: 'group', ownerId: 'u1', groupId: 'g', consent: true });
    expect(p.provenance.parentIds).toEqual(['a', 'b']);
  });

  it('throws DUPLICATE_ID unless replace is set, and replace re-indexes the new embedding', async () => {
    const bank = newBank();
    bank.insert(patternInput('p', e0()));
    expect(await errorCode(() => bank.insert(patternInput('p', e0())))).toBe('DUPLICATE_ID');
    const moved = atCosine(-1);
    const r = bank.insert(patternInput('p', moved, { metrics: { successRate: 0.1 } }), { replace: true });
    expect(r.replaced).toBe(true);
    expect(bank.size).toBe(1);
    expect(bank.get('p')!.metrics.successRate).toBe(0.1);
    expect(bank.index.search(moved, 1)[0]!.similarity).toBeCloseTo(1, 6);
  });

  it('accepts overlapping timestep ranges by default and only contained ones under contain', async () => {
    const overlap = newBank({ timestepRange: [0.33, 0.67] });
    overlap.insert(patternInput('a', e0(), { timestepRange: [0.5, 0.9] }));
    overlap.insert(patternInput('b', e0(), { timestepRange: [0, 0.33] })); // touching endpoints overlap
    expect(await errorCode(() => overlap.insert(patternInput('c', e0(), { timestepRange: [0.7, 1] })))).toBe(
      'OUT_OF_RANGE',
    );
    const contain = newBank({ timestepRange: [0.33, 0.67], timestepPolicy: 'contain' });
    contain.insert(patternInput('a', e0(), { timestepRange: [0.4, 0.67] }));
    expect(await errorCode(() => contain.insert(patternInput('b', e0(), { timestepRange: [0.5, 0.9] })))).toBe(
      'OUT_OF_RANGE',
    );
  });

  it('rejects bad patterns with typed errors and changes nothing', async () => {
    const bank = newBank();
    bank.insert(patternInput('keep', e0()));
    const bad: [string, () => unknown][] = [
      ['INVALID_ARGUMENT', () => bank.insert(patternInput('', e0()))],
      ['INVALID_ARGUMENT', () => bank.insert(patternInput(7 as unknown as string, e0()))],
      ['DIMENSION_MISMATCH', () => bank.insert(patternInput('x', new Float32Array(DIM + 1).fill(1)))],
      ['INVALID_ARGUMENT', () => bank.insert(patternInput('x', Array.from(e0()) as unknown as Float32Array))],
      ['NON_FINITE', () => bank.insert(patternInput('x', e0().fill(Number.NaN, 3, 4)))],
      ['INVALID_ARGUMENT', () => bank.insert(patternInput('x', new Float32Array(DIM)))],
      ['RANK_OUT_OF_RANGE', () => bank.insert(patternInput('x', e0(), { lora: randomLora(3, 5) }))],
      ['OUT_OF_RANGE', () => bank.insert(patternInput('x', e0(), { metrics: { successRate: 1.5 } }))],
      ['INVALID_ARGUMENT', () => bank.insert(patternInput('x', e0(), { metrics: { usageCount: 1.5 } }))],
      ['INVALID_ARGUMENT', () => bank.insert(patternInput('x', e0(), { metrics: { sucessRate: 1 } as never }))],
      ['INVALID_ARGUMENT', () => bank.insert(patternInput('x', e0(), { policy: { tier: 'world' } as never }))],
      ['INVALID_ARGUMENT', () => bank.insert(patternInput('x', e0(), { provenance: { originKeyId: 'k' } as never }))],
      ['OUT_OF_RANGE', () => bank.insert(patternInput('x', e0(), { timestepRange: [0.4, 0.2] }))],
      ['INVALID_ARGUMENT', () => bank.insert(patternInput('x', e0(), { lora: { rank: 1 } as never }))],
      ['INVALID_ARGUMENT', () => bank.insert(null as never)],
      ['INVALID_ARGUMENT', () => bank.insert(patternInput('x', e0()), null as never)],
      ['INVALID_ARGUMENT', () => bank.insert(patternInput('keep', e0()), { replace: 'yes' as never })],
    ];
    for (const [code, fn] of bad) expect(await errorCode(fn)).toBe(code);
    expect(bank.size).toBe(1);
    expect(bank.index.size).toBe(1);
    expect(bank.stats().inserts).toBe(1);
  });
});

describe('MicroLoraBank retrieve', () => {
  it('re-ranks candidates by the blended score, changing the raw similarity order', () => {
    const clock = new ManualClock(100 * DAY);
    const bank = newBank({ clock });
    // Closest but poor and stale, versus slightly further but excellent and fresh.
    bank.insert(patternInput('close-poor', atCosine(0.95), { metrics: { successRate: 0.1, lastUsed: 10 * DAY } }));
    bank.insert(patternInput('far-good', atCosine(0.8), { metrics: { successRate: 0.95, lastUsed: 100 * DAY } }));
    bank.insert(patternInput('unrelated', atCosine(-0.9), { metrics: { successRate: 0.5, lastUsed: 0 } }));
    const query = e0();
    expect(bank.index.search(query, 2).map((h) => h.id)).toEqual(['close-poor', 'far-good']);
    const got = bank.retrieve(query, 2);
    expect(got.map((r) => r.id)).toEqual(['far-good', 'close-poor']);
    for (const r of got) {
      expect(r.pattern).toBe(bank.get(r.id));
      expect(r.lora).toBe(r.pattern.lora);
      expect(r.score).toBeCloseTo(naiveScore(r.pattern, query, clock.now()), 6);
    }
    expect(got[0]!.similarity).toBeCloseTo((0.8 + 1) / 2, 6);
  });

  it('equals a naive float64 ranking over all patterns when every pattern is a candidate', () => {
    const rng = new SeededRng(9);
    const clock = new ManualClock(50 * DAY);
    const bank = newBank({ clock, oversample: 1024 });
    for (let i = 0; i < 60; i++) {
      bank.insert(
        patternInput(`p${i}`, randomUnit(rng), {
          metrics: { successRate: rng.next(), lastUsed: rng.uniform(0, 50 * DAY) },
        }),
      );
    }
    for (let q = 0; q < 10; q++) {
      const query = randomUnit(rng);
      const naive = bank
        .patterns()
        .map((p) => ({ id: p.id, score: naiveScore(p, query, clock.now()) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, 7);
      const got = bank.retrieve(query, 7);
      expect(got.map((r) => r.id)).toEqual(naive.map((n) => n.id));
      got.forEach((r, i) => expect(r.score).toBeCloseTo(naive[i]!.score, 6));
    }
  });

  it('halves the recency term every half-life (ManualClock)', () => {
    const clock = new ManualClock(0);
    const bank = newBank({ clock, scoring: { similarity: 0, quality: 0, recency: 1 }, recencyHalfLifeMs: 1000 });
    bank.insert(patternInput('p', e0()));
    const score = (): number => bank.retrieve(e0(), 1)[0]!.score;
    expect(score()).toBe(1);
    clock.advance(1000);
    expect(score()).toBeCloseTo(0.5, 12);
    clock.advance(1000);
    expect(score()).toBeCloseTo(0.25, 12);
    clock.advance(500);
    expect(score()).toBeCloseTo(2 ** -2.5, 12);
    clock.set(-5000); // lastUsed in the future (clock skew) counts as fresh
    expect(score()).toBe(1);
  });

  it('drops candidates below minSimilarity (else quality and recency can lift an unrelated pattern)', () => {
    const loose = newBank();
    const strict = newBank({ minSimilarity: 0.6 });
    for (const bank of [loose, strict]) {
      bank.insert(patternInput('stale-close', atCosine(0.95), { metrics: { successRate: 0.1, lastUsed: -100 * DAY } }));
      bank.insert(patternInput('fresh-opposite', atCosine(-0.9), { metrics: { successRate: 1 } }));
    }
    expect(loose.retrieve(e0(), 1)[0]!.id).toBe('fresh-opposite');
    expect(strict.retrieve(e0(), 2).map((r) => r.id)).toEqual(['stale-close']);
  });

  it('normalises the scoring weights', () => {
    const bank = newBank({ scoring: { similarity: 2, quality: 2, recency: 0 } });
    expect(bank.scoring).toEqual({ similarity: 0.5, quality: 0.5, recency: 0 });
    bank.insert(patternInput('p', e0(), { metrics: { successRate: 1 } }));
    expect(bank.retrieve(e0(), 1)[0]!.score).toBeCloseTo(1, 6);
  });

  it('handles k above size, an empty bank, and a zero query', () => {
    const bank = newBank();
    expect(bank.retrieve(e0(), 3)).toEqual([]);
    bank.insert(patternInput('a', e0()));
    bank.insert(patternInput('b', atCosine(0.5)));
    expect(bank.retrieve(e0(), 10).map((r) => r.id)).toEqual(['a', 'b']);
    expect(bank.retrieve(new Float32Array(DIM), 3)).toEqual([]);
  });

  it('does not count as usage (no LRU touch, no usageCount)', () => {
    const bank = newBank({ maxPatterns: 2 });
    bank.insert(patternInput('old', e0()));
    bank.insert(patternInput('new', atCosine(0)));
    bank.retrieve(e0(), 1);
    expect(bank.get('old')!.metrics.usageCount).toBe(0);
    expect(bank.insert(patternInput('third', atCosine(0.3))).evictedId).toBe('old');
  });

  it('rejects bad queries with typed errors', async () => {
    const bank = newBank();
    bank.insert(patternInput('a', e0()));
    expect(await errorCode(() => bank.retrieve(e0(), 0))).toBe('OUT_OF_RANGE');
    expect(await errorCode(() => bank.retrieve(e0(), 1.5))).toBe('INVALID_ARGUMENT');
    expect(await errorCode(() => bank.retrieve(new Float32Array(3), 1))).toBe('DIMENSION_MISMATCH');
    expect(await errorCode(() => bank.retrieve(e0().fill(Number.POSITIVE_INFINITY, 0, 1), 1))).toBe('NON_FINITE');
    expect(await errorCode(() => bank.retrieve([1, 0] as unknown as Float32Array, 1))).toBe('INVALID_ARGUMENT');
  });
});

describe('MicroLoraBank LRU, usage and feedback', () => {
  it('evicts the least recently used; recordUsage refreshes; eviction leaves the index', () => {
    const evicted: string[] = [];
    const bank = newBank({ maxPatterns: 3, onEvict: (p) => evicted.push(p.id) });
    bank.insert(patternInput('a', atCosine(0.9)));
    bank.insert(patternInput('b', atCosine(0.8)));
    bank.insert(patternInput('c', atCosine(0.7)));
    bank.recordUsage('a');
    expect(bank.insert(patternInput('d', atCosine(0.6))).evictedId).toBe('b');
    expect(bank.insert(patternInput('e', atCosine(0.5))).evictedId).toBe('c');
    bank.recordUsage('d');
    expect(bank.insert(patternInput('f', atCosine(0.4))).evictedId).toBe('a');
    expect(evicted).toEqual(['b', 'c', 'a']);
    expect(bank.patterns().map((p) => p.id)).toEqual(['e', 'd', 'f']);
    expect(bank.index.ids().sort()).toEqual(['d', 'e', 'f']);
    expect(
      bank
        .retrieve(e0(), 10)
        .map((r) => r.id)
        .sort(),
    ).toEqual(['d', 'e', 'f']);
    expect(bank.stats().evictions).toBe(3);
    // Replacing an existing id when full evicts nothing.
    expect(bank.insert(patternInput('e', atCosine(0.1)), { replace: true }).evictedId).toBeUndefined();
  });

  it('recordUsage keeps running means and distinct users', () => {
    const clock = new ManualClock(10);
    const bank = newBank({ clock });
    bank.insert(patternInput('p', e0()));
    clock.set(500);
    bank.recordUsage('p', { latencyMs: 10, userId: 'u1' });
    bank.recordUsage('p', { userId: 'u1' });
    bank.recordUsage('p', { latencyMs: 20, userId: 'u2' });
    bank.recordUsage('p', { latencyMs: 60 });
    const m = bank.get('p')!.metrics;
    expect(m.usageCount).toBe(4);
    expect(m.avgLatencyMs).toBeCloseTo(30, 12);
    expect(m.distinctUsers).toBe(2);
    expect(m.lastUsed).toBe(500);
  });

  it('updateMetrics folds quality into a running mean over feedbackCount', () => {
    const bank = newBank();
    bank.insert(patternInput('p', e0(), { metrics: { successRate: 0.8, feedbackCount: 3 } }));
    bank.updateMetrics('p', { quality: 0.4 });
    expect(bank.get('p')!.metrics.successRate).toBeCloseTo((0.8 * 3 + 0.4) / 4, 12);
    expect(bank.get('p')!.metrics.feedbackCount).toBe(4);
    bank.insert(patternInput('q', e0()));
    bank.updateMetrics('q', { quality: 1, denoisingQuality: 0.2 });
    bank.updateMetrics('q', { quality: 0, denoisingQuality: 0.6 });
    bank.updateMetrics('q', { quality: 0.5 });
    const m = bank.get('q')!.metrics;
    expect(m.successRate).toBeCloseTo(0.5, 12); // the 0.5 default is replaced by the first feedback
    expect(m.denoisingQuality).toBeCloseTo(0.4, 12);
  });

  it('remove, NOT_FOUND and bad usage/feedback arguments', async () => {
    const bank = newBank();
    bank.insert(patternInput('p', e0()));
    expect(await errorCode(() => bank.recordUsage('nope'))).toBe('NOT_FOUND');
    expect(await errorCode(() => bank.updateMetrics('nope', { quality: 1 }))).toBe('NOT_FOUND');
    expect(await errorCode(() => bank.recordUsage('p', { latencyMs: -1 }))).toBe('OUT_OF_RANGE');
    expect(await errorCode(() => bank.recordUsage('p', { userId: 3 as never }))).toBe('INVALID_ARGUMENT');
    expect(await errorCode(() => bank.updateMetrics('p', { quality: Number.NaN }))).toBe('NON_FINITE');
    expect(await errorCode(() => bank.updateMetrics('p', { quality: 2 }))).toBe('OUT_OF_RANGE');
    expect(bank.get('p')!.metrics.usageCount).toBe(0);
    bank.remove('p');
    expect(bank.has('p')).toBe(false);
    expect(bank.index.has('p')).toBe(false);
    expect(bank.get('p')).toBeUndefined();
    expect(await errorCode(() => bank.remove('p'))).toBe('NOT_FOUND');
  });
});

describe('MicroLoraBank stats and options', () => {
  it('counts patterns, retrievals, evictions, exact bytes and latency percentiles', () => {
    const bank = newBank({ maxPatterns: 4 });
    expect(Number.isNaN(bank.stats().p50RetrievalUs)).toBe(true);
    const rng = new SeededRng(3);
    for (let i = 0; i < 6; i++)
      bank.insert(patternInput(`p${i}`, randomUnit(rng), { lora: randomLora(i, 1 + (i % 4), 8 + i) }));
    for (let i = 0; i < 5; i++) bank.retrieve(randomUnit(rng), 2);
    const s = bank.stats();
    const loraBytes = bank.patterns().reduce((n, p) => n + encodeBinary(p.lora).length, 0);
    expect(loraBytes).toBe(bank.patterns().reduce((n, p) => n + byteSize(p.lora), 0));
    expect(s).toMatchObject({ patterns: 4, maxPatterns: 4, inserts: 6, retrievals: 5, evictions: 2, loraBytes });
    expect(s.embeddingBytes).toBe(4 * DIM * 4);
    expect(s.bytes).toBe(loraBytes + 4 * DIM * 4);
    expect(s.p50RetrievalUs).toBeGreaterThan(0);
    expect(s.p99RetrievalUs).toBeGreaterThanOrEqual(s.p50RetrievalUs);
  });

  it('validates options with typed errors', async () => {
    const ok = { timestepRange: [0, 1] as const, maxPatterns: 10, dimension: DIM };
    const cases: [string, object][] = [
      ['INVALID_ARGUMENT', { ...ok, timestepRange: [0] }],
      ['OUT_OF_RANGE', { ...ok, timestepRange: [0, 2] }],
      ['OUT_OF_RANGE', { ...ok, maxPatterns: 0 }],
      ['OUT_OF_RANGE', { ...ok, dimension: 0 }],
      ['INVALID_ARGUMENT', { ...ok, scoring: { similarity: 1, quality: 1 } }],
      ['OUT_OF_RANGE', { ...ok, scoring: { similarity: -1, quality: 1, recency: 1 } }],
      ['NON_FINITE', { ...ok, scoring: { similarity: Number.NaN, quality: 1, recency: 1 } }],
      ['INVALID_ARGUMENT', { ...ok, scoring: { similarity: 0, quality: 0, recency: 0 } }],
      ['OUT_OF_RANGE', { ...ok, recencyHalfLifeMs: 0 }],
      ['OUT_OF_RANGE', { ...ok, oversample: 0 }],
      ['INVALID_ARGUMENT', { ...ok, clock: {} }],
      ['INVALID_ARGUMENT', { ...ok, index: {} }],
      ['DIMENSION_MISMATCH', { ...ok, index: createFlatIndex({ dimension: DIM + 1 }) }],
      ['INVALID_ARGUMENT', { ...ok, timestepPolicy: 'inside' }],
      ['RANK_OUT_OF_RANGE', { ...ok, maxRank: 0 }],
    ];
    for (const [code, options] of cases) {
      expect([code, await errorCode(() => new MicroLoraBank(options as never))]).toEqual([code, code]);
    }
    const full = createFlatIndex({ dimension: DIM });
    full.add('x', e0());
    expect(await errorCode(() => new MicroLoraBank({ ...ok, index: full }))).toBe('INVALID_ARGUMENT');
    const bank = new MicroLoraBank({
      timestepRange: [0, 1],
      maxPatterns: 1,
      index: createFlatIndex({ dimension: 32 }),
    });
    expect(bank.dimension).toBe(32);
    expect(new MicroLoraBank({ timestepRange: [0, 1], maxPatterns: 1 }).dimension).toBe(768);
  });
});
