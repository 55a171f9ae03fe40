import { describe, expect, it } from 'vitest';
import { SeededRng, isMicroLoraError } from '@microlora/core';
import type { MicroLoraErrorCode } from '@microlora/core';
import { createHammingIndex } from '@microlora/vector-index-hamming';
import type { HammingIndex, HammingIndexOptions } from '@microlora/vector-index-hamming';
import type { Metric } from '@microlora/vector-index';

/** Points around Gaussian centres: embedding-like data with neighbourhoods. */
function clustered(seed: string, count: number, dimension: number, clusters = 24, spread = 0.45): Float32Array[] {
  const rng = new SeededRng(seed);
  const centres = Array.from({ length: clusters }, () => rng.fillNormal(new Float32Array(dimension)));
  return Array.from({ length: count }, () => {
    const c = centres[rng.int(clusters)] as Float32Array;
    const v = new Float32Array(dimension);
    for (let i = 0; i < dimension; i++) v[i] = (c[i] as number) + spread * rng.normal();
    return v;
  });
}

/** Exact float64 distance per the contract's definitions. */
function distance(metric: Metric, q: Float32Array, v: Float32Array): number {
  let dot = 0;
  let qq = 0;
  let vv = 0;
  let l2 = 0;
  for (let i = 0; i < q.length; i++) {
    const a = q[i] as number;
    const b = v[i] as number;
    dot += a * b;
    qq += a * a;
    vv += b * b;
    l2 += (a - b) * (a - b);
  }
  if (metric === 'l2') return l2;
  return metric === 'cosine' ? 1 - dot / Math.sqrt(qq * vv) : 1 - dot;
}

function bruteForce(metric: Metric, items: readonly Float32Array[], q: Float32Array, k: number): string[] {
  return items
    .map((v, i) => ({ id: `v${i}`, d: distance(metric, q, v) }))
    .sort((a, b) => a.d - b.d || (a.id < b.id ? -1 : 1))
    .slice(0, k)
    .map((h) => h.id);
}

function build(items: readonly Float32Array[], options: Partial<HammingIndexOptions> & { metric?: Metric } = {}): HammingIndex {
  const idx = createHammingIndex({ dimension: (items[0] as Float32Array).length, ...options });
  idx.addBatch(items.map((vector, i) => ({ id: `v${i}`, vector })));
  return idx;
}

function recallAt5(idx: HammingIndex, metric: Metric, items: readonly Float32Array[], queries: readonly Float32Array[]): number {
  let found = 0;
  for (const q of queries) {
    const want = new Set(bruteForce(metric, items, q, 5));
    for (const hit of idx.search(q, 5)) if (want.has(hit.id)) found++;
  }
  return found / (5 * queries.length);
}

function codeOf(fn: () => unknown): MicroLoraErrorCode | 'none' | 'other' {
  try {
    fn();
  } catch (err) {
    return isMicroLoraError(err) ? err.code : 'other';
  }
  return 'none';
}

async function asyncCodeOf(fn: () => Promise<unknown>): Promise<MicroLoraErrorCode | 'none' | 'other'> {
  try {
    await fn();
  } catch (err) {
    return isMicroLoraError(err) ? err.code : 'other';
  }
  return 'none';
}

describe('recall against brute force (seeded clustered data)', () => {
  const items = clustered('recall-items', 3000, 96);
  const queries = clustered('recall-items', 3060, 96).slice(3000);

  for (const metric of ['cosine', 'inner-product', 'l2'] as const) {
    it(`recall@5 ≥ 0.95 under ${metric}`, () => {
      expect(recallAt5(build(items, { metric }), metric, items, queries)).toBeGreaterThanOrEqual(0.95);
    });
  }

  it('recall@5 ≥ 0.95 with trained coarse lists', () => {
    const idx = build(items, { lists: 16, probes: 4 });
    expect(idx.structure.lists).toBe(16);
    expect(recallAt5(idx, 'cosine', items, queries)).toBeGreaterThanOrEqual(0.95);
  });

  it('a larger ef (shortlist) never lowers recall here, and ef 1 still returns k hits', () => {
    const idx = build(items);
    const base = recallAt5(idx, 'cosine', items, queries);
    let wide = 0;
    for (const q of queries) {
      const want = new Set(bruteForce('cosine', items, q, 5));
      for (const hit of idx.search(q, 5, { ef: 1000 })) if (want.has(hit.id)) wide++;
    }
    expect(wide / (5 * queries.length)).toBeGreaterThanOrEqual(base);
    expect(idx.search(queries[0] as Float32Array, 5, { ef: 1 })).toHaveLength(5);
  });
});

describe('reported distances', () => {
  it('match float64 within 5e-5 of the conformance scale under every metric', () => {
    const items = clustered('values', 500, 40);
    const q = clustered('values-q', 1, 40)[0] as Float32Array;
    for (const metric of ['cosine', 'inner-product', 'l2'] as const) {
      const idx = build(items, { metric });
      for (const hit of idx.search(q, 20)) {
        const v = items[Number(hit.id.slice(1))] as Float32Array;
        const want = distance(metric, q, v);
        // The conformance suite's scale: 1 for cosine, Σ|qᵢvᵢ| for inner-product, max(1, d) for l2.
        let abs = 0;
        for (let i = 0; i < q.length; i++) abs += Math.abs((q[i] as number) * (v[i] as number));
        const scale = metric === 'cosine' ? 1 : metric === 'inner-product' ? Math.max(1, abs) : Math.max(1, want);
        expect(Math.abs(hit.distance - want)).toBeLessThanOrEqual(5e-5 * scale);
      }
    }
  });

  it('finds every vector as its own nearest neighbour (odd dimensions, tiny and large)', () => {
    for (const dimension of [1, 3, 17, 200, 1500]) {
      const items = clustered(`self-${dimension}`, 60, dimension, 6, 0.5);
      const idx = build(items, { metric: 'l2' });
      items.forEach((v, i) => {
        const top = idx.search(v, 1)[0];
        expect(top?.id).toBe(`v${i}`);
        expect(top?.distance).toBeLessThan(1e-6 * Math.max(1, distance('l2', v, new Float32Array(dimension))));
      });
    }
  });
});

describe('removal and slot reuse', () => {
  it('never returns removed ids and reuses freed slots without growing', () => {
    const items = clustered('remove', 400, 32);
    const idx = build(items, { capacity: 400 });
    expect(idx.capacity).toBe(400);
    for (let i = 0; i < 400; i += 2) idx.remove(`v${i}`);
    expect(idx.size).toBe(200);
    for (const q of items.slice(0, 40)) {
      for (const hit of idx.search(q, 50)) expect(Number(hit.id.slice(1)) % 2).toBe(1);
    }
    for (let i = 0; i < 400; i += 2) idx.add(`w${i}`, items[i] as Float32Array);
    expect(idx.size).toBe(400);
    expect(idx.capacity).toBe(400);
    expect(idx.search(items[10] as Float32Array, 2).map((h) => h.id)).toContain('w10');
  });

  it('fills holes of coarse lists again and keeps them out of results', () => {
    const items = clustered('holes', 1200, 32);
    const idx = build(items, { lists: 8, probes: 8 });
    const capacity = idx.capacity;
    for (let i = 0; i < 1200; i += 3) idx.remove(`v${i}`);
    for (const q of items.slice(0, 30)) {
      for (const hit of idx.search(q, 20)) expect(Number(hit.id.slice(1)) % 3).not.toBe(0);
    }
    const fresh = clustered('holes-fresh', 400, 32);
    fresh.forEach((v, i) => idx.add(`f${i}`, v));
    expect(idx.size).toBe(1200);
    expect(idx.capacity).toBe(capacity);
    let self = 0;
    fresh.forEach((v, i) => {
      if (idx.search(v, 1)[0]?.id === `f${i}`) self++;
    });
    expect(self / fresh.length).toBeGreaterThanOrEqual(0.97);
  });

  it('a filter admitting one id finds it even when the probed lists miss it', () => {
    const items = clustered('filter-one', 1200, 32);
    const idx = build(items, { lists: 16, probes: 1 });
    const q = items[5] as Float32Array;
    const hits = idx.search(q, 3, { filter: (id) => id === 'v777' });
    expect(hits.map((h) => h.id)).toEqual(['v777']);
    expect(idx.search(q, 3, { filter: () => false })).toEqual([]);
  });
});

describe('filters', () => {
  it('a filter that uses the same index gets INVALID_ARGUMENT instead of corrupting the search', () => {
    const items = clustered('reentrant', 200, 16);
    const idx = build(items);
    const q = items[0] as Float32Array;
    const before = idx.search(q, 5);
    expect(codeOf(() => idx.search(q, 5, { filter: () => idx.search(q, 1).length > 0 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => idx.search(q, 5, { filter: (id) => (idx.remove(id), true) }))).toBe('INVALID_ARGUMENT');
    expect(idx.size).toBe(200);
    expect(idx.search(q, 5)).toEqual(before);
    // A filter may read other state freely, e.g. has() of the same index.
    expect(idx.search(q, 5, { filter: (id) => idx.has(id) })).toEqual(before);
  });
});

describe('save and load', () => {
  it('round-trips trained lists, holes and the tail with identical results', async () => {
    for (const metric of ['cosine', 'inner-product', 'l2'] as const) {
      const items = clustered(`save-${metric}`, 1100, 48);
      const idx = build(items.slice(0, 1000), { metric, lists: 8, probes: 2, seed: 7 });
      for (let i = 0; i < 1000; i += 5) idx.remove(`v${i}`);
      items.slice(1000).forEach((v, i) => idx.add(`t${i}`, v));
      const copy = createHammingIndex({ dimension: 48, metric });
      await copy.load(await idx.save());
      expect(copy.structure).toEqual(idx.structure);
      expect(copy.size).toBe(idx.size);
      expect(new Set(copy.ids())).toEqual(new Set(idx.ids()));
      for (const q of clustered(`save-q-${metric}`, 25, 48)) {
        expect(copy.search(q, 10)).toEqual(idx.search(q, 10));
        expect(copy.search(q, 4, { ef: 7 })).toEqual(idx.search(q, 4, { ef: 7 }));
      }
      // Saving is deterministic: the same contents give the same bytes.
      expect(await copy.save()).toEqual(await idx.save());
    }
  });

  it('a loaded index adopts saved settings unless they were chosen at creation', async () => {
    const items = clustered('settings', 200, 16);
    const idx = build(items, { shortlist: 40, rerank: 12, prefilter: 0.5 });
    const adopting = createHammingIndex({ dimension: 16 });
    const choosing = createHammingIndex({ dimension: 16, shortlist: 7 });
    const bytes = await idx.save();
    await adopting.load(bytes);
    await choosing.load(bytes);
    for (const q of clustered('settings-q', 10, 16)) expect(adopting.search(q, 5)).toEqual(idx.search(q, 5));
    expect(await adopting.save()).toEqual(bytes);
    expect(await choosing.save()).not.toEqual(bytes);
  });

  it('a loaded index adopts the saved code layout', async () => {
    const items = clustered('layout', 300, 100);
    const idx = build(items, { bits: 64, prefixBits: 64, seed: 3 });
    const other = createHammingIndex({ dimension: 100 });
    await other.load(await idx.save());
    expect(other.structure.bits).toBe(64);
    expect(other.structure.seed).toBe(3);
    const q = items[3] as Float32Array;
    expect(other.search(q, 5)).toEqual(idx.search(q, 5));
  });
});

describe('fuzzed load', () => {
  async function savedBytes(): Promise<{ idx: HammingIndex; bytes: Uint8Array }> {
    const items = clustered('fuzz', 300, 24);
    const idx = build(items, { lists: 4, probes: 2 });
    for (let i = 0; i < 300; i += 9) idx.remove(`v${i}`);
    return { idx, bytes: await idx.save() };
  }

  it('never crashes on mutated, truncated or random bytes', async () => {
    const { idx, bytes } = await savedBytes();
    const probe = clustered('fuzz-probe', 1, 24)[0] as Float32Array;
    const before = JSON.stringify(idx.search(probe, 5));
    const rng = new SeededRng('fuzz-load');
    for (let round = 0; round < 300; round++) {
      let bad: Uint8Array;
      const kind = round % 3;
      if (kind === 0) {
        bad = bytes.slice();
        for (let f = 0; f <= rng.int(4); f++) bad[rng.int(bad.length)] = rng.int(256);
      } else if (kind === 1) {
        bad = bytes.slice(0, rng.int(bytes.length));
      } else {
        bad = new Uint8Array(rng.int(bytes.length * 2));
        for (let i = 0; i < bad.length; i++) bad[i] = rng.int(256);
      }
      const code = await asyncCodeOf(() => idx.load(bad));
      expect(['CORRUPT_DATA', 'UNSUPPORTED_VERSION', 'DIMENSION_MISMATCH', 'INVALID_ARGUMENT', 'none']).toContain(code);
    }
    expect(JSON.stringify(idx.search(probe, 5))).toBe(before);
  });

  it('rejects semantically corrupt files whose checksum is valid (CORRUPT_DATA)', async () => {
    const { crc32 } = await import('@microlora/core');
    const { idx, bytes } = await savedBytes();
    const rng = new SeededRng('fuzz-crc');
    let rejected = 0;
    for (let round = 0; round < 400; round++) {
      const bad = bytes.slice();
      // Mutate the header and early fields (sizes, flags, list starts) most of the time.
      const at = round % 2 === 0 ? 6 + rng.int(Math.min(120, bad.length - 10)) : rng.int(bad.length - 4);
      bad[at] = rng.int(256);
      new DataView(bad.buffer).setUint32(bad.length - 4, crc32(bad.subarray(0, bad.length - 4)), true);
      const fresh = createHammingIndex({ dimension: 24 });
      const code = await asyncCodeOf(() => fresh.load(bad));
      expect(['CORRUPT_DATA', 'UNSUPPORTED_VERSION', 'DIMENSION_MISMATCH', 'INVALID_ARGUMENT', 'none']).toContain(code);
      if (code !== 'none') rejected++;
      else {
        // Whatever was accepted must be a usable index.
        const hits = fresh.search(clustered('fuzz-q', 1, 24)[0] as Float32Array, 3);
        expect(hits.length).toBeLessThanOrEqual(3);
      }
    }
    expect(rejected).toBeGreaterThan(100);
    expect(idx.size).toBe(300 - 34);
  });
});

describe('options and arguments', () => {
  it('rejects bad structure and search options with INVALID_ARGUMENT', () => {
    const bad: Partial<HammingIndexOptions>[] = [
      { bits: 100 },
      { bits: 0 },
      { bits: 2048 },
      { prefixBits: 512, bits: 256 },
      { prefixBits: 32 },
      { prefilter: 0 },
      { prefilter: 1.5 },
      { shortlist: 0 },
      { rerank: 2.5 },
      { lists: -1 },
      { lists: 4, probes: 5 },
      { seed: -1 },
    ];
    for (const options of bad) {
      expect(codeOf(() => createHammingIndex({ dimension: 300, ...options })), JSON.stringify(options)).toBe('INVALID_ARGUMENT');
    }
    // Codes are capped at 16,384 bits (u16 distances) even where the rotation is longer.
    expect(codeOf(() => createHammingIndex({ dimension: 20_000, capacity: 1, bits: 32_768 }))).toBe('INVALID_ARGUMENT');
    expect(createHammingIndex({ dimension: 20_000, capacity: 1, bits: 16_384 }).structure.bits).toBe(16_384);
    const idx = createHammingIndex({ dimension: 4 });
    idx.add('a', new Float32Array([1, 2, 3, 4]));
    const q = new Float32Array([1, 0, 0, 0]);
    expect(codeOf(() => idx.search(q, 1, { ef: 0 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => idx.search(q, 1, { filter: 'x' as unknown as () => boolean }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => idx.addBatch([null as unknown as { id: string; vector: Float32Array }]))).toBe('INVALID_ARGUMENT');
  });

  it('reports its layout: 1024-bit codes and two int8 planes for 768-d', () => {
    const idx = createHammingIndex({ dimension: 768, capacity: 4 });
    expect(idx.kind).toBe('hamming');
    expect(idx.exact).toBe(false);
    expect(idx.structure).toMatchObject({ bits: 1024, prefixBits: 256, lists: 0 });
    // 128 code bytes + 2 × 768 value bytes + scale, aux and per-slot search buffers.
    expect(idx.bytesPerVector).toBeGreaterThanOrEqual(128 + 2 * 768 + 8);
    expect(idx.bytesPerVector).toBeLessThan(1700);
  });
});
