import { describe, expect, it } from 'vitest';
import { SeededRng, materializeDelta, type LoraWeights } from '@microlora/core';
import type { RetrievedPattern } from '@microlora/bank';
import { factorAverage } from '@microlora/composer';
import { TaloraManager, type InterpolationStrategy, type InterpolationSetting } from '@microlora/talora';
import {
  clock,
  compressedDelta,
  pattern,
  randomLora,
  randomUnit,
  relativeError,
  syncErrorCode,
  weightedSum,
} from './helpers.js';

const CENTRES = [1 / 6, 1 / 2, 5 / 6];

/** β by hand, independent of the strategies under test. */
function handWeights(kind: 'discrete' | 'linear' | 'soft', t: number, temperature = 0.1): number[] {
  if (kind === 'discrete') return [0, 1, 2].map((b) => (b === (t < 1 / 3 ? 0 : t < 2 / 3 ? 1 : 2) ? 1 : 0));
  if (kind === 'linear') {
    if (t <= CENTRES[0]!) return [1, 0, 0];
    if (t >= CENTRES[2]!) return [0, 0, 1];
    const j = t < CENTRES[1]! ? 0 : 1;
    const alpha = (t - CENTRES[j]!) / (CENTRES[j + 1]! - CENTRES[j]!);
    const w = [0, 0, 0];
    w[j] = 1 - alpha;
    w[j + 1] = alpha;
    return w;
  }
  const raw = CENTRES.map((c) => Math.exp(-Math.abs(t - c) / temperature));
  const sum = raw.reduce((a, b) => a + b, 0);
  return raw.map((r) => r / sum);
}

/** Σ_b β_b Σ_i (score_i / Σ score)·ΔW_i from the banks' own retrieval. */
function reference(manager: TaloraManager, embedding: Float32Array, beta: number[], k: number): Float64Array {
  const terms: [number, Float64Array][] = [];
  manager.banks.forEach((bank, b) => {
    if (beta[b] === 0) return;
    const hits: RetrievedPattern[] = bank.retrieve(embedding, k);
    const total = hits.reduce((s, h) => s + h.score, 0);
    for (const hit of hits) terms.push([beta[b]! * (hit.score / total), compressedDelta(hit.lora)]);
  });
  return weightedSum(terms);
}

function populated(interpolation: InterpolationSetting, seed = 1): { manager: TaloraManager; rng: SeededRng } {
  const rng = new SeededRng(seed);
  const manager = new TaloraManager({ bank: { maxPatterns: 50, dimension: 16 }, interpolation, clock: clock() });
  const ranges: [number, number][] = [
    [0, 1 / 3],
    [1 / 3, 2 / 3],
    [2 / 3, 1],
    [0.2, 0.5], // spans banks 0 and 1
    [0, 1], // spans all three
  ];
  let n = 0;
  for (const range of ranges) {
    for (let i = 0; i < 5; i++, n++) {
      manager.insert(pattern(`p${n}`, randomUnit(rng), range, 100 + n, { metrics: { successRate: rng.next() } }));
    }
  }
  return { manager, rng };
}

describe('getAdapter is exact against the materialised weighted ΔW', () => {
  it.each([0, 0.1, 1 / 3, 0.5, 0.66, 2 / 3, 0.9, 1])('discrete at t = %f (k = 5)', (t) => {
    const { manager, rng } = populated('discrete');
    const q = randomUnit(rng);
    const adapter = manager.getAdapter(q, t);
    expect(relativeError(adapter, reference(manager, q, handWeights('discrete', t), 5))).toBeLessThan(1e-5);
  });

  it.each([0, 0.1, 0.25, 1 / 3, 0.5, 0.6, 0.8, 0.95, 1])('linear at t = %f: (1 − α)ΔW_a + αΔW_b', (t) => {
    const { manager, rng } = populated('linear');
    const q = randomUnit(rng);
    const adapter = manager.getAdapter(q, t);
    expect(relativeError(adapter, reference(manager, q, handWeights('linear', t), 3))).toBeLessThan(1e-5);
  });

  it.each([0, 0.2, 1 / 3, 0.5, 0.7, 1])('soft-boundary at t = %f, T = 0.15', (t) => {
    const { manager, rng } = populated({ strategy: 'soft-boundary', options: { temperature: 0.15 } });
    const q = randomUnit(rng);
    const adapter = manager.getAdapter(q, t);
    expect(relativeError(adapter, reference(manager, q, handWeights('soft', t, 0.15), 3))).toBeLessThan(1e-5);
  });

  it('honours k and the composer (attention)', () => {
    const rng = new SeededRng(9);
    const { manager } = populated({ strategy: 'linear', k: 2 }, 9);
    manager.setInterpolation({ strategy: 'linear', k: 2 });
    const q = randomUnit(rng);
    const beta = handWeights('linear', 0.4);
    const adapter = manager.getAdapter(q, 0.4);
    expect(relativeError(adapter, reference(manager, q, beta, 2))).toBeLessThan(1e-5);

    const attention = new TaloraManager({
      bank: { maxPatterns: 10, dimension: 16 },
      composer: { strategy: 'attention', options: { temperature: 0.5 } },
      interpolation: 'soft-boundary',
      clock: clock(),
    });
    for (let i = 0; i < 6; i++) attention.insert(pattern(`a${i}`, randomUnit(rng), [i / 6, i / 6], i));
    const terms: [number, Float64Array][] = [];
    const w = handWeights('soft', 0.45);
    attention.banks.forEach((bank, b) => {
      const hits = bank.retrieve(q, 3);
      const max = Math.max(...hits.map((h) => h.score));
      const e = hits.map((h) => Math.exp((h.score - max) / 0.5));
      const sum = e.reduce((x, y) => x + y, 0);
      hits.forEach((h, i) => terms.push([w[b]! * (e[i]! / sum), compressedDelta(h.lora)]));
    });
    expect(relativeError(attention.getAdapter(q, 0.45), weightedSum(terms))).toBeLessThan(1e-5);
  });

  it('stacks an approximate composer per bank, then mixes the banks exactly', () => {
    const { manager, rng } = populated({ strategy: 'linear' });
    const approx = new TaloraManager({
      bank: { maxPatterns: 50, dimension: 16 },
      interpolation: 'linear',
      composer: 'factor-average',
      clock: clock(),
    });
    for (const p of manager.patterns()) approx.insert({ ...p, metrics: { ...p.metrics } });
    const q = randomUnit(rng);
    const beta = handWeights('linear', 0.4);
    const terms: [number, Float64Array][] = [];
    approx.banks.forEach((bank, b) => {
      if (beta[b] === 0) return;
      terms.push([beta[b]!, materializeDelta(factorAverage.compose(bank.retrieve(q, 3)))]);
    });
    expect(relativeError(approx.getAdapter(q, 0.4), weightedSum(terms))).toBeLessThan(1e-5);
  });
});

describe('normalisation and boundaries', () => {
  it('one pattern in every bank gives exactly its ΔW at every t under every interpolation', () => {
    const rng = new SeededRng(3);
    for (const interpolation of ['discrete', 'linear', 'soft-boundary'] as const) {
      const manager = new TaloraManager({ bank: { maxPatterns: 4, dimension: 16 }, interpolation, clock: clock() });
      manager.insert(pattern('only', randomUnit(rng), [0, 1], 5));
      const delta = compressedDelta(manager.get('only')!.lora);
      for (const t of [0, 0.17, 1 / 3, 0.5, 0.99, 1]) {
        // Unnormalised soft weights (the reference design) would scale ΔW by Σ exp(·) ≠ 1.
        expect(relativeError(manager.getAdapter(randomUnit(rng), t), delta)).toBeLessThan(1e-6);
      }
    }
  });

  it('is not the factor lerp of the reference design', () => {
    const rng = new SeededRng(4);
    const manager = new TaloraManager({ bank: { maxPatterns: 4, dimension: 16 }, interpolation: 'linear', clock: clock() });
    manager.insert(pattern('a', randomUnit(rng), [0, 1 / 3], 11));
    manager.insert(pattern('b', randomUnit(rng), [1 / 3, 2 / 3], 12));
    const adapter = manager.getAdapter(randomUnit(rng), 1 / 3); // α = 0.5
    expect(adapter.rank).toBe(4); // ranks stacked, not lerped
    const da = compressedDelta(manager.get('a')!.lora);
    const db = compressedDelta(manager.get('b')!.lora);
    expect(relativeError(adapter, weightedSum([[0.5, da], [0.5, db]]))).toBeLessThan(1e-6);
  });

  it('an empty bank contributes the zero adapter (its weight is not moved elsewhere)', () => {
    const rng = new SeededRng(5);
    const manager = new TaloraManager({ bank: { maxPatterns: 4, dimension: 16 }, interpolation: 'linear', clock: clock() });
    manager.insert(pattern('a', randomUnit(rng), [0, 0.1], 11));
    const da = compressedDelta(manager.get('a')!.lora);
    // t = 0.25: α = (0.25 − 1/6) / (1/3) = 0.25, so bank 0 weighs 0.75 and the empty bank 1 adds nothing.
    expect(relativeError(manager.getAdapter(randomUnit(rng), 0.25), weightedSum([[0.75, da]]))).toBeLessThan(1e-6);
  });

  it('an empty result is the rank-1 zero adapter of the configured shape', () => {
    const manager = new TaloraManager({ bank: { maxPatterns: 4, dimension: 16 }, inFeatures: 8, outFeatures: 6 });
    const adapter = manager.getAdapter(randomUnit(new SeededRng(1)), 0.5);
    expect(adapter).toMatchObject({ rank: 1, inFeatures: 8, outFeatures: 6 });
    expect(adapter.a.every((x) => x === 0) && adapter.b.every((x) => x === 0)).toBe(true);
  });

  it('without a shape and without patterns it asks for one', () => {
    const manager = new TaloraManager({ bank: { maxPatterns: 4, dimension: 16 } });
    expect(syncErrorCode(() => manager.getAdapter(randomUnit(new SeededRng(1)), 0.5))).toBe('INVALID_ARGUMENT');
  });

  it.each([
    [Number.NaN, 'NON_FINITE'],
    [-0.01, 'OUT_OF_RANGE'],
    [1.01, 'OUT_OF_RANGE'],
    [Number.POSITIVE_INFINITY, 'NON_FINITE'],
    ['0.5', 'INVALID_ARGUMENT'],
  ])('t = %s → %s', (t, code) => {
    const { manager, rng } = populated('discrete');
    expect(syncErrorCode(() => manager.getAdapter(randomUnit(rng), t as number))).toBe(code);
  });

  it('embedding errors come from the banks', () => {
    const { manager } = populated('soft-boundary');
    expect(syncErrorCode(() => manager.getAdapter(new Float32Array(3), 0.5))).toBe('DIMENSION_MISMATCH');
    const bad = new Float32Array(16).fill(Number.NaN);
    expect(syncErrorCode(() => manager.getAdapter(bad, 0.5))).toBe('NON_FINITE');
  });
});

describe('views and copies', () => {
  it('getAdapter returns views of reused buffers; getAdapterCopy keeps its own', () => {
    const { manager, rng } = populated('discrete');
    const q1 = randomUnit(rng);
    const q2 = randomUnit(rng);
    const first = manager.getAdapter(q1, 0.1);
    const copy = manager.getAdapterCopy(q1, 0.1);
    const firstA = first.a.slice();
    const second = manager.getAdapter(q2, 0.1);
    expect(second.a.buffer).toBe(first.a.buffer);
    expect(Array.from(first.a.subarray(0, 8))).not.toEqual(Array.from(firstA.subarray(0, 8))); // overwritten
    expect(copy.a).toEqual(firstA);
    expect(copy.a.buffer).not.toBe(first.a.buffer);
  });

  it('getAdapterWithSources reports every pattern with its weight; weights reproduce ΔW', () => {
    const { manager, rng } = populated({ strategy: 'soft-boundary', options: { temperature: 0.2 } });
    const q = randomUnit(rng);
    const { adapter, sources, bankWeights } = manager.getAdapterWithSources(q, 0.3);
    expect(Array.from(bankWeights).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    const terms = sources.map((s): [number, Float64Array] => [s.weight, compressedDelta(manager.get(s.id)!.lora)]);
    expect(relativeError(adapter, weightedSum(terms))).toBeLessThan(1e-5);
    expect(sources.reduce((s, x) => s + x.weight, 0)).toBeCloseTo(1, 10);
    // Spanning patterns found in several banks are stacked once with merged weights.
    const ids = sources.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    let rank = 0;
    for (const s of sources) rank += manager.get(s.id)!.lora.rank;
    expect(adapter.rank).toBe(rank);
    for (const s of sources) for (const b of s.banks) expect(manager.banksOf(s.id)).toContain(b);
  });

  it('stacks a spanning pattern found in every bank once, with its bank weights summed', () => {
    const rng = new SeededRng(8);
    const manager = new TaloraManager({ bank: { maxPatterns: 4, dimension: 16 }, interpolation: 'soft-boundary', clock: clock() });
    manager.insert(pattern('x', randomUnit(rng), [0, 1], 1));
    manager.insert(pattern('y', randomUnit(rng), [0, 1], 2, { lora: randomLora(2, 3) }));
    const { adapter, sources } = manager.getAdapterWithSources(randomUnit(rng), 0.4);
    expect(sources.map((s) => s.banks)).toEqual([[0, 1, 2], [0, 1, 2]]);
    expect(adapter.rank).toBe(2 + 3); // not 3 × (2 + 3)
    const total = sources.reduce((s, x) => s + x.weight, 0);
    expect(total).toBeCloseTo(1, 12);
  });

  it('grows its buffers for larger k without changing results', () => {
    const { manager, rng } = populated('soft-boundary');
    const q = randomUnit(rng);
    manager.setInterpolation({ strategy: 'soft-boundary', k: 20 });
    const adapter: LoraWeights = manager.getAdapter(q, 0.5);
    expect(relativeError(adapter, reference(manager, q, handWeights('soft', 0.5), 20))).toBeLessThan(1e-5);
  });
});

describe('pluggable interpolation', () => {
  const bad = (weights: number[]): InterpolationStrategy => ({
    name: 'bad',
    defaultK: 1,
    bankWeightsInto(_t, _layout, _o, out) {
      out.set(weights);
    },
  });

  it('a custom strategy object drives the bank weights', () => {
    const { manager, rng } = populated('discrete');
    manager.setInterpolation({ strategy: bad([0.25, 0, 0.75]), k: 4 });
    const q = randomUnit(rng);
    expect(relativeError(manager.getAdapter(q, 0.5), reference(manager, q, [0.25, 0, 0.75], 4))).toBeLessThan(1e-5);
  });

  it.each([
    [[0.5, 0.6, 0], 'OUT_OF_RANGE'], // not normalised
    [[1.5, -0.5, 0], 'OUT_OF_RANGE'], // negative
    [[Number.NaN, 1, 0], 'NON_FINITE'],
  ])('rejects bank weights %j with %s', (weights, code) => {
    const { manager, rng } = populated('discrete');
    manager.setInterpolation(bad(weights));
    expect(syncErrorCode(() => manager.getAdapter(randomUnit(rng), 0.5))).toBe(code);
  });

  it('validates settings up front', () => {
    const bank = { maxPatterns: 4, dimension: 16 };
    expect(syncErrorCode(() => new TaloraManager({ bank, interpolation: 'nope' as never }))).toBe('NOT_FOUND');
    expect(syncErrorCode(() => new TaloraManager({ bank, interpolation: { strategy: 'discrete', k: 0 } }))).toBe('OUT_OF_RANGE');
    expect(
      syncErrorCode(() => new TaloraManager({ bank, interpolation: { strategy: 'soft-boundary', options: { temperature: -1 } } })),
    ).toBe('OUT_OF_RANGE');
    expect(syncErrorCode(() => new TaloraManager({ bank, composer: 'nope' as never }))).toBe('NOT_FOUND');
    expect(syncErrorCode(() => new TaloraManager({ bank, boundaries: [0, 0.5] }))).toBe('OUT_OF_RANGE');
    expect(syncErrorCode(() => new TaloraManager({ bank, inFeatures: 8 }))).toBe('INVALID_ARGUMENT');
    expect(syncErrorCode(() => new TaloraManager({} as never))).toBe('INVALID_ARGUMENT');
  });
});
