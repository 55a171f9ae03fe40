import { describe, expect, it } from 'vitest';
import { ManualClock, SeededRng, materializeDelta } from '@microlora/core';
import { HashingEmbedder } from '@microlora/embed';
import { createFlatIndex } from '@microlora/vector-index';
import { createMicroLora, getBackend, loadMicroLora, type MicroLora, type MicroLoraOptions, type WasmSimdOps } from 'microlora';
import { applyReference, delta, errorCode, randomLora, relativeDistance, syncErrorCode } from './helpers.js';

const H = 16;
const TOPICS = [
  'portrait photo with soft evening light',
  'studio portrait photography with sharp focus',
  'draft a liability clause for a software licence',
  'summarise the termination terms of a contract',
  'python function that parses a csv file',
  'fix the off by one error in this loop',
  'vegetarian pasta recipe with tomatoes and basil',
  'bake sourdough bread with a crisp crust',
];

function small(options: MicroLoraOptions = {}): MicroLora {
  const micro = createMicroLora({ dimension: 64, hiddenSize: H, index: 'exact', clock: new ManualClock(1e12), ...options });
  TOPICS.forEach((query, i) => {
    micro.insertPattern({ id: `t${i}`, query, lora: randomLora(i + 1, H), timestepRange: i % 2 === 0 ? [0, 0.5] : [0, 1] });
  });
  return micro;
}

describe('createMicroLora', () => {
  it('wires the embedded defaults: 768-d hashing embedder, hamming index, best backend, 3 banks', () => {
    const micro = createMicroLora();
    expect(micro.dimension).toBe(768);
    expect(micro.hiddenSize).toBe(768);
    expect(micro.indexKind).toBe('hamming');
    expect(micro.manager.banks[0]!.index.kind).toBe('hamming');
    expect(['wasm', 'js']).toContain(micro.backend.name);
    expect(micro.manager.bankCount).toBe(3);
    expect(micro.manager.banks[0]!.maxPatterns).toBe(10_000);
    expect(micro.manager.interpolation.strategy.name).toBe('discrete');
    expect(micro.manager.composer.options.backend).toBe(micro.backend);
  });

  it('applies per-request composites on a wasm instance without the adapter cache', () => {
    const micro = small();
    if (micro.backend.name !== 'wasm') return; // no WebAssembly SIMD here: the js backend has no cache
    const h = new Float32Array(H).fill(1);
    for (const q of TOPICS) micro.apply(h, micro.adapterFor(q, 0.2));
    expect((micro.backend as WasmSimdOps).memoryStats().cachedAdapters).toBe(0);
    expect(micro.backend).not.toBe(getBackend('wasm')); // the shared, caching instance stays untouched
  });

  it('the adapter for a query is exactly Σ wᵢ ΔWᵢ of its sources', () => {
    const micro = small({ interpolation: 'soft-boundary' });
    const request = micro.adapterWithSources('a soft light portrait photo', 0.3);
    expect(request.sources.length).toBeGreaterThan(0);
    const ref = new Float64Array(H * H);
    for (const s of request.sources) {
      const d = delta(micro.manager.get(s.id)!.lora);
      for (let i = 0; i < ref.length; i++) ref[i] = ref[i]! + s.weight * d[i]!;
    }
    expect(relativeDistance(materializeDelta(request.adapter), ref)).toBeLessThan(1e-5);
    // adapterFor gives the same weights, as views.
    const view = micro.adapterFor('a soft light portrait photo', 0.3);
    expect(relativeDistance(materializeDelta(view), ref)).toBeLessThan(1e-5);
  });

  it('finds the pattern stored for the same text first', () => {
    const micro = small();
    for (let i = 0; i < TOPICS.length; i++) {
      const { sources } = micro.adapterWithSources(TOPICS[i]!, 0.25);
      const best = sources.reduce((a, b) => (b.similarity > a.similarity ? b : a));
      expect(best.id).toBe(`t${i}`);
      expect(best.similarity).toBeCloseTo(1, 5);
    }
  });

  it('validates its options', () => {
    expect(syncErrorCode(() => createMicroLora({ index: 'bogus' as never }))).toBe('INVALID_ARGUMENT');
    expect(syncErrorCode(() => createMicroLora({ dimension: 32, embedder: new HashingEmbedder({ dimension: 64 }) }))).toBe(
      'DIMENSION_MISMATCH',
    );
    expect(syncErrorCode(() => createMicroLora({ backend: 'nope' }))).toBe('NOT_FOUND');
    expect(syncErrorCode(() => createMicroLora({ maxPatternsPerBank: 0 }))).toBe('OUT_OF_RANGE');
    expect(syncErrorCode(() => createMicroLora({ hiddenSize: 0 }))).toBe('OUT_OF_RANGE');
    expect(syncErrorCode(() => createMicroLora({ embedder: {} as never }))).toBe('INVALID_ARGUMENT');
    expect(syncErrorCode(() => createMicroLora(null as never))).toBe('INVALID_ARGUMENT');
  });

  it('rejects bad queries and timesteps with typed errors', () => {
    const micro = small();
    expect(syncErrorCode(() => micro.adapterFor('x', undefined as never))).toBe('INVALID_ARGUMENT');
    expect(syncErrorCode(() => micro.adapterFor('x', Number.NaN))).toBe('NON_FINITE');
    expect(syncErrorCode(() => micro.adapterFor('x', 2))).toBe('OUT_OF_RANGE');
    expect(syncErrorCode(() => micro.adapterFor(42 as never, 0.5))).toBe('INVALID_ARGUMENT');
    expect(syncErrorCode(() => micro.adapterFor(new Float32Array(3), 0.5))).toBe('DIMENSION_MISMATCH');
    expect(syncErrorCode(() => micro.insertPattern({ query: '...', lora: randomLora(1, H) }))).toBe('INVALID_ARGUMENT');
    expect(syncErrorCode(() => micro.insertPattern({ query: 'fine', lora: randomLora(1, 8) }))).toBe('DIMENSION_MISMATCH');
    // Text without any word embeds to zero: no direction, so nothing is retrieved.
    expect(micro.adapterWithSources('?!', 0.5).sources).toEqual([]);
  });

  it('generates free ids and refuses duplicates', () => {
    const micro = small();
    const r = micro.insertPattern({ query: 'another topic entirely', lora: randomLora(50, H) });
    expect(r.id).toBe('p0');
    expect(micro.insertPattern({ query: 'and one more', lora: randomLora(51, H) }).id).toBe('p1');
    expect(syncErrorCode(() => micro.insertPattern({ id: 't0', query: 'dup', lora: randomLora(52, H) }))).toBe('DUPLICATE_ID');
    expect(micro.insertPattern({ id: 't0', query: 'dup', lora: randomLora(52, H) }, { replace: true }).replaced).toBe(true);
    micro.removePattern('p0');
    expect(micro.hasPattern('p0')).toBe(false);
  });
});

describe('apply', () => {
  const micro = small();
  const h = new SeededRng(9).fillNormal(new Float32Array(H));

  it('apply / applyInto give h + ΔW·h', () => {
    const adapter = micro.adapterWithSources('portrait photo', 0.2).adapter;
    const ref = applyReference(materializeDelta(adapter), h);
    expect(relativeDistance(micro.apply(h, adapter), ref)).toBeLessThan(1e-5);
    const out = new Float32Array(H);
    expect(micro.applyInto(h, adapter, out)).toBe(out);
    expect(relativeDistance(out, ref)).toBeLessThan(1e-5);
    const inPlace = h.slice();
    micro.applyInto(inPlace, adapter, inPlace);
    expect(relativeDistance(inPlace, ref)).toBeLessThan(1e-5);
  });

  it('applyBatch with one adapter, one per row, and an index with a skipped row', () => {
    const a = micro.adapterWithSources('portrait photo', 0.2).adapter;
    const b = micro.adapterWithSources('csv parsing in python', 0.7).adapter;
    const rows = new SeededRng(10).fillNormal(new Float32Array(3 * H));
    const row = (r: number): Float32Array => rows.subarray(r * H, (r + 1) * H);
    const refA = (r: number): Float64Array => applyReference(materializeDelta(a), row(r));
    const refB = (r: number): Float64Array => applyReference(materializeDelta(b), row(r));

    const one = micro.applyBatch(rows, a);
    for (let r = 0; r < 3; r++) expect(relativeDistance(one.subarray(r * H, (r + 1) * H), refA(r))).toBeLessThan(1e-5);

    const perRow = micro.applyBatch(rows, [a, b, a]);
    expect(relativeDistance(perRow.subarray(H, 2 * H), refB(1))).toBeLessThan(1e-5);

    const indexed = micro.applyBatch(rows, [a, b], Int32Array.from([1, -1, 0]));
    expect(relativeDistance(indexed.subarray(0, H), refB(0))).toBeLessThan(1e-5);
    expect(Array.from(indexed.subarray(H, 2 * H))).toEqual(Array.from(row(1)));
    expect(relativeDistance(indexed.subarray(2 * H), refA(2))).toBeLessThan(1e-5);

    const inPlace = rows.slice();
    micro.applyBatchInto(inPlace, a, inPlace);
    expect(Array.from(inPlace)).toEqual(Array.from(one));
  });

  it('typed errors for wrong shapes', () => {
    const a = micro.adapterWithSources('portrait photo', 0.2).adapter;
    expect(syncErrorCode(() => micro.apply(new Float32Array(H + 1), a))).toBe('DIMENSION_MISMATCH');
    expect(syncErrorCode(() => micro.apply([1, 2] as never, a))).toBe('INVALID_ARGUMENT');
    expect(syncErrorCode(() => micro.apply(h, randomLora(1, 8)))).toBe('DIMENSION_MISMATCH');
    expect(syncErrorCode(() => micro.applyInto(h, a, new Float32Array(3)))).toBe('DIMENSION_MISMATCH');
    expect(syncErrorCode(() => micro.applyBatch(new Float32Array(H + 3), a))).toBe('DIMENSION_MISMATCH');
    expect(syncErrorCode(() => micro.applyBatch(new Float32Array(3 * H), [a, a]))).toBe('INVALID_ARGUMENT');
    expect(syncErrorCode(() => micro.applyBatch(new Float32Array(2 * H), [a], Int32Array.from([0, 1])))).toBe('OUT_OF_RANGE');
    expect(syncErrorCode(() => micro.applyBatch(new Float32Array(2 * H), [a], Int32Array.from([0])))).toBe('DIMENSION_MISMATCH');
  });
});

describe('feedback', () => {
  it('records usage and quality on every source, validated first', () => {
    const micro = small();
    const request = micro.adapterWithSources('pasta recipe with basil', 0.1);
    expect(syncErrorCode(() => micro.feedback(request, { quality: 1.5 }))).toBe('OUT_OF_RANGE');
    expect(syncErrorCode(() => micro.feedback(request, { quality: 0.5, latencyMs: -1 }))).toBe('OUT_OF_RANGE');
    expect(syncErrorCode(() => micro.feedback({} as never, { quality: 0.5 }))).toBe('INVALID_ARGUMENT');
    for (const s of request.sources) expect(micro.manager.get(s.id)!.metrics.feedbackCount).toBe(0);
    expect(micro.feedback(request, { quality: 0.9, latencyMs: 12, userId: 'u' })).toBe(request.sources.length);
    for (const s of request.sources) {
      for (const b of micro.manager.banksOf(s.id)) {
        expect(micro.manager.banks[b]!.get(s.id)!.metrics).toMatchObject({ successRate: 0.9, usageCount: 1, avgLatencyMs: 12 });
      }
    }
    micro.removePattern(request.sources[0]!.id);
    expect(micro.feedback(request.sources, { quality: 0.1 })).toBe(request.sources.length - 1);
    expect(micro.stats()).toMatchObject({ feedbacks: 2, requests: 1 });
  });
});

describe('save / load', () => {
  it('round-trips with identical adapters and outputs', async () => {
    const micro = small({ interpolation: 'linear' });
    const bytes = await micro.save();
    // Same clock: recency is part of the blended score, hence of the composer's weights.
    const loaded = await loadMicroLora(bytes, { embedder: new HashingEmbedder({ dimension: 64 }), interpolation: 'linear', clock: new ManualClock(1e12) });
    expect(loaded.stats()).toMatchObject({ patterns: 8, index: 'flat', dimension: 64, hiddenSize: H });
    const h = new SeededRng(3).fillNormal(new Float32Array(H));
    for (const [q, t] of [['portrait', 0.1], ['contract termination', 0.5], ['bread', 0.9]] as const) {
      expect(Array.from(loaded.apply(h, loaded.adapterFor(q, t)))).toEqual(Array.from(micro.apply(h, micro.adapterFor(q, t))));
    }
  });

  it('round-trips the default hamming index', async () => {
    const micro = createMicroLora({ hiddenSize: H, clock: new ManualClock(1e12) });
    TOPICS.forEach((query, i) => micro.insertPattern({ query, lora: randomLora(i, H) }));
    const loaded = await loadMicroLora(await micro.save(), { clock: new ManualClock(1e12) });
    expect(loaded.indexKind).toBe('hamming');
    expect(loaded.manager.banks[1]!.index.kind).toBe('hamming');
    const a = micro.adapterWithSources('sourdough bread', 0.5);
    const b = loaded.adapterWithSources('sourdough bread', 0.5);
    expect(b.sources.map((s) => s.id)).toEqual(a.sources.map((s) => s.id));
    expect(Array.from(b.adapter.a)).toEqual(Array.from(a.adapter.a));
  });

  it('refuses another embedder, a custom index without its factory, and corrupt bytes', async () => {
    const micro = small();
    const bytes = await micro.save();
    // Without an embedder, the default hashing embedder of the saved dimension is used (its fingerprint matches).
    expect((await loadMicroLora(bytes)).dimension).toBe(64);
    expect(await errorCode(() => loadMicroLora(bytes, { embedder: new HashingEmbedder({ dimension: 32 }) }))).toBe('DIMENSION_MISMATCH');
    expect(await errorCode(() => loadMicroLora(bytes, { embedder: new HashingEmbedder({ dimension: 64, seed: 1 }) }))).toBe(
      'INVALID_ARGUMENT',
    );
    const flipped = bytes.slice();
    flipped[bytes.length >> 1]! ^= 1;
    expect(await errorCode(() => loadMicroLora(flipped, { embedder: new HashingEmbedder({ dimension: 64 }) }))).toBe('CORRUPT_DATA');
    const version = bytes.slice();
    version[4] = 7;
    expect(await errorCode(() => loadMicroLora(version))).toBe('UNSUPPORTED_VERSION');

    const factory = (): ReturnType<typeof createFlatIndex> => createFlatIndex({ dimension: 64 });
    const custom = createMicroLora({ dimension: 64, hiddenSize: H, index: factory });
    custom.insertPattern({ query: 'custom index', lora: randomLora(3, H) });
    const customBytes = await custom.save();
    const embedder = new HashingEmbedder({ dimension: 64 });
    expect(await errorCode(() => loadMicroLora(customBytes, { embedder }))).toBe('INVALID_ARGUMENT');
    expect((await loadMicroLora(customBytes, { embedder, index: factory })).stats().patterns).toBe(1);
  });
});
