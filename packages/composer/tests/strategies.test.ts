import { describe, expect, it } from 'vitest';
import { MicroLoraError, cloneLora, isMicroLoraError } from '@microlora/core';
import type { CompressedLora, LoraWeights } from '@microlora/core';
import { compress } from '@microlora/quantization';
import {
  attention,
  composeExact,
  createComposeBuffers,
  getStrategy,
  taskArithmetic,
  topK,
  weightedAverage,
} from '@microlora/composer';
import type { ComposeItem, CompositionStrategy, ExactCompositionStrategy } from '@microlora/composer';
import { denseDelta, randomLora, relativeError, snapshotItems, weightedSum } from './reference.js';

const N = 40;
const M = 28;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (isMicroLoraError(err)) return err.code;
    throw err;
  }
  return undefined;
}

/** Ranks 1, 4, 2, 3 with different alphas and masks; scores unsorted. */
function mixedItems(): ComposeItem[] {
  return [
    { lora: randomLora(1, 1, N, M, { alpha: 1, layerMask: 0b0001n }), score: 0.2 },
    { lora: randomLora(2, 4, N, M, { alpha: 16, layerMask: 0b0010n }), score: 0.9 },
    { lora: randomLora(3, 2, N, M, { alpha: 2, layerMask: 0b0100n }), score: 0.55 },
    { lora: randomLora(4, 3, N, M, { alpha: 9, layerMask: 1n << 50n }), score: 0.7 },
  ];
}

/** The same adapters int8-compressed (two schemes), plus one left in f32. */
function int8Items(): ComposeItem[] {
  return mixedItems().map((item, i) => (i === 2 ? item : { ...item, lora: compress(item.lora as LoraWeights, i % 2 ? 'per-row' : 'asymmetric') }));
}

const scores = [0.2, 0.9, 0.55, 0.7];
const expected: [string, ExactCompositionStrategy<never> | ExactCompositionStrategy, object, number[]][] = [
  ['weighted-average', weightedAverage, {}, scores.map((s) => s / 2.35)],
  ['attention (T = 0.25)', attention, { temperature: 0.25 }, (() => {
    const e = scores.map((s) => Math.exp(s / 0.25));
    const z = e.reduce((x, y) => x + y);
    return e.map((v) => v / z);
  })()],
  ['top-k (k = 2)', topK, { k: 2 }, [0, 0.5, 0, 0.5]],
  ['task-arithmetic (λ = 0.7)', taskArithmetic, { lambda: 0.7 }, [0.7, 0.7, 0.7, 0.7]],
  ['task-arithmetic (λ = -1)', taskArithmetic, { lambda: -1 }, [-1, -1, -1, -1]],
];

describe.each(expected)('%s is exact: ΔW′ = Σ wᵢ ΔWᵢ', (_label, strategy, options, weights) => {
  const s = strategy as ExactCompositionStrategy;
  it('computes the documented weights', () => {
    const got = Array.from(s.weights(mixedItems(), options));
    got.forEach((w, i) => expect(w).toBeCloseTo(weights[i]!, 12));
  });

  it.each([
    ['f32 inputs of mixed rank', mixedItems],
    ['int8 inputs (per-row, asymmetric) mixed with f32', int8Items],
  ])('%s: relative Frobenius error ≤ 1e-5 against the float64 reference', (_name, make) => {
    const items = make();
    const composite = s.compose(items, options);
    const error = relativeError(denseDelta(composite), weightedSum(items, weights));
    expect(error).toBeLessThanOrEqual(1e-5);
    const contributing = items.filter((_, i) => weights[i] !== 0);
    expect(composite.rank).toBe(contributing.reduce((r, it) => r + it.lora.rank, 0));
    expect(composite.alpha).toBe(composite.rank);
    expect(composite.scaling).toBe(1);
    expect(composite.layerMask).toBe(contributing.reduce((m, it) => m | it.lora.layerMask, 0n));
  });

  it('composeInto writes the same composite into the target buffers', () => {
    const items = int8Items();
    const target = createComposeBuffers({ maxRank: 16, inFeatures: N, outFeatures: M });
    const into = s.composeInto!(items, target, options);
    const fresh = s.compose(items, options);
    expect(into.a.buffer).toBe(target.a.buffer);
    expect(into.b.buffer).toBe(target.b.buffer);
    expect(Array.from(into.a)).toEqual(Array.from(fresh.a));
    expect(Array.from(into.b)).toEqual(Array.from(fresh.b));
  });
});

describe('weight rules', () => {
  const items = (...s: number[]): ComposeItem[] => s.map((score, i) => ({ lora: randomLora(10 + i, 2, 8, 6), score }));

  it('weighted-average: uniform when every score is 0, error for a negative score, finite for huge scores', () => {
    expect(Array.from(weightedAverage.weights(items(0, 0, 0, 0)))).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(Array.from(weightedAverage.weights(items(0, 3, 1)))).toEqual([0, 0.75, 0.25]);
    expect(codeOf(() => weightedAverage.compose(items(0.5, -0.1)))).toBe('OUT_OF_RANGE');
    expect(Array.from(weightedAverage.weights(items(1e308, 1e308)))).toEqual([0.5, 0.5]);
  });

  it('weighted-average: a zero-score item is left out of the stack', () => {
    const composite = weightedAverage.compose(items(0, 1, 0));
    expect(composite.rank).toBe(2);
    expect(relativeError(denseDelta(composite), denseDelta(items(0, 1, 0)[1]!.lora))).toBeLessThan(1e-6);
  });

  it('attention: numerically stable softmax; temperature must be finite and > 0', () => {
    const w = attention.weights(items(1000, 0, 999));
    expect(w.every(Number.isFinite)).toBe(true);
    expect(w[0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
    expect(w[1]).toBe(Math.exp(-1000) / (1 + Math.exp(-1)));
    expect(Array.from(attention.weights(items(-1e308, 1e308), { temperature: 1e-300 }))).toEqual([0, 1]);
    const flat = attention.weights(items(0.1, 0.9), { temperature: 1e9 });
    expect(flat[0]).toBeCloseTo(0.5, 8);
    expect(codeOf(() => attention.weights(items(1), { temperature: 0 }))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => attention.weights(items(1), { temperature: -2 }))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => attention.weights(items(1), { temperature: Number.NaN }))).toBe('NON_FINITE');
    expect(codeOf(() => attention.weights(items(1), { temperature: Number.POSITIVE_INFINITY }))).toBe('NON_FINITE');
  });

  it('top-k: the k best, ties to the earlier item, k larger than n means all; k must be an integer ≥ 1', () => {
    expect(Array.from(topK.weights(items(0.1, 0.9, 0.5)))).toEqual([0, 1, 0]);
    expect(Array.from(topK.weights(items(0.5, 0.9, 0.5, 0.9), { k: 3 }))).toEqual([1 / 3, 1 / 3, 0, 1 / 3]);
    expect(Array.from(topK.weights(items(-3, -1), { k: 5 }))).toEqual([0.5, 0.5]);
    expect(codeOf(() => topK.weights(items(1), { k: 0 }))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => topK.weights(items(1), { k: 1.5 }))).toBe('INVALID_ARGUMENT');
  });

  it('task-arithmetic: λ = 0 gives the zero adapter; λ must be finite', () => {
    const zero = taskArithmetic.compose(items(1, 2), { lambda: 0 });
    expect(zero.rank).toBe(1);
    expect(denseDelta(zero).every((v) => v === 0)).toBe(true);
    expect(zero.layerMask).toBe(0n);
    expect(codeOf(() => taskArithmetic.compose(items(1), { lambda: Number.NaN }))).toBe('NON_FINITE');
  });
});

describe('inputs and errors (every built-in)', () => {
  const all = ['weighted-average', 'attention', 'top-k', 'task-arithmetic', 'factor-average'].map((n) => getStrategy(n));

  it.each(all.map((s) => [s.name, s] as const))('%s: empty input is the rank-1 zero adapter of the requested shape', (_n, s: CompositionStrategy) => {
    const zero = s.compose([], { inFeatures: 5, outFeatures: 3 });
    expect([zero.rank, zero.inFeatures, zero.outFeatures, zero.alpha, zero.layerMask]).toEqual([1, 5, 3, 1, 0n]);
    expect(denseDelta(zero).every((v) => v === 0)).toBe(true);
    expect(codeOf(() => s.compose([]))).toBe('INVALID_ARGUMENT');
  });

  it.each(all.map((s) => [s.name, s] as const))('%s: mixed dimensions, bad scores, bad factors and mismatched options are coded errors', (_n, s: CompositionStrategy) => {
    const ok = { lora: randomLora(1, 2, 8, 6), score: 0.5 };
    expect(codeOf(() => s.compose([ok, { lora: randomLora(2, 2, 8, 7), score: 0.5 }]))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => s.compose([ok, { lora: randomLora(2, 2, 9, 6), score: 0.5 }]))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => s.compose([ok], { inFeatures: 9, outFeatures: 6 }))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => s.compose([ok, { ...ok, score: Number.NaN }]))).toBe('NON_FINITE');
    expect(codeOf(() => s.compose([{ ...ok, score: Number.NEGATIVE_INFINITY }]))).toBe('NON_FINITE');
    expect(codeOf(() => s.compose([{ ...ok, score: '1' as unknown as number }]))).toBe('INVALID_ARGUMENT');
    const poisoned = cloneLora(ok.lora);
    poisoned.a[3] = Number.NaN;
    expect(codeOf(() => s.compose([ok, { lora: poisoned, score: 1 }]))).toBe('NON_FINITE');
    const badScale = compress(ok.lora, 'per-row');
    const poisonedScales = { ...badScale, b: { ...badScale.b, scales: badScale.b.scales.map((v, i) => (i === 1 ? Number.POSITIVE_INFINITY : v)) } };
    expect(codeOf(() => s.compose([ok, { lora: poisonedScales, score: 1 }]))).toBe('NON_FINITE');
    const short = { ...ok.lora, b: ok.lora.b.subarray(1) };
    expect(codeOf(() => s.compose([{ lora: short, score: 1 }]))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => s.compose('x' as unknown as ComposeItem[]))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => s.compose([{ lora: { ...ok.lora, rank: 0 }, score: 1 }]))).toBe('RANK_OUT_OF_RANGE');
  });

  it.each(all.map((s) => [s.name, s] as const))('%s: a malformed int8 adapter is INVALID_ARGUMENT naming it, before anything is decoded', (_n, s: CompositionStrategy) => {
    const ok = { lora: randomLora(1, 2, 8, 6), score: 0.5 };
    const c = compress(randomLora(2, 2, 8, 6), 'asymmetric');
    const perRow = compress(randomLora(2, 2, 8, 6), 'per-row');
    const malformed: [string, unknown][] = [
      ['a missing', { ...c, a: undefined }],
      ['data not Int8Array', { ...c, a: { ...c.a, data: Array.from(c.a.data) } }],
      ['scales not Float32Array', { ...c, b: { ...c.b, scales: Array.from(c.b.scales) } }],
      ['scales × groupSize ≠ values', { ...perRow, a: { ...perRow.a, scales: perRow.a.scales.subarray(1) } }],
      ['groupSize 0', { ...c, b: { ...c.b, groupSize: 0 } }],
      ['zero points of the wrong length', { ...c, a: { ...c.a, zeroPoints: new Int16Array(1) } }],
      ['zero points not Int16Array', { ...c, b: { ...c.b, zeroPoints: new Int32Array(c.b.scales.length) } }],
    ];
    for (const [why, lora] of malformed) {
      let error: unknown;
      try {
        s.compose([ok, { lora: lora as CompressedLora, score: 1 }]);
      } catch (err) {
        error = err;
      }
      expect(isMicroLoraError(error, 'INVALID_ARGUMENT'), why).toBe(true);
      expect((error as Error).message, why).toMatch(/^items\[1\]/);
    }
  });

  it.each(all.map((s) => [s.name, s] as const))('%s: never mutates its inputs', (_n, s: CompositionStrategy) => {
    const items: ComposeItem[] = [0, 1, 2].map((i) => ({ lora: randomLora(30 + i, 2, 12, 10), score: [0.3, 0.9, 0.1][i]! }));
    items[1] = { ...items[1]!, lora: compress(items[1]!.lora as LoraWeights, 'per-row') };
    const before = snapshotItems(items);
    const order = items.slice();
    s.compose(items, { k: 2 } as object);
    s.composeInto!(items, createComposeBuffers({ maxRank: 8, inFeatures: 12, outFeatures: 10 }), { k: 2 } as object);
    expect(snapshotItems(items)).toBe(before);
    items.forEach((item, i) => expect(item).toBe(order[i]));
  });
});

describe('composeInto and composeExact', () => {
  it('needs a target large enough for the stacked rank (CAPACITY_EXCEEDED, nothing written out of bounds)', () => {
    const items = [0, 1, 2].map((i) => ({ lora: randomLora(i, 2, 8, 6), score: 1 }));
    const target = createComposeBuffers({ maxRank: 5, inFeatures: 8, outFeatures: 6 });
    expect(codeOf(() => weightedAverage.composeInto!(items, target))).toBe('CAPACITY_EXCEEDED');
    expect(codeOf(() => weightedAverage.composeInto!(items.slice(1), createComposeBuffers({ maxRank: 4, inFeatures: 8, outFeatures: 7 })))).toBe('DIMENSION_MISMATCH');
    expect(weightedAverage.composeInto!(items.slice(1), target).rank).toBe(4);
  });

  it('refuses an f32 input that shares memory with the target (a previous composite)', () => {
    const items = [0, 1].map((i) => ({ lora: randomLora(i, 2, 8, 6), score: 1 }));
    const target = createComposeBuffers({ maxRank: 8, inFeatures: 8, outFeatures: 6 });
    const composite = weightedAverage.composeInto!(items, target);
    expect(codeOf(() => weightedAverage.composeInto!([{ lora: composite, score: 1 }, ...items], target))).toBe('INVALID_ARGUMENT');
    // A copy is fine, and composing a composite again is still exact.
    const copy = { lora: cloneLora(composite), score: 1 };
    const again = weightedAverage.composeInto!([copy, ...items], target);
    expect(again.rank).toBe(8);
    expect(relativeError(denseDelta(again), weightedSum([copy, ...items], [1 / 3, 1 / 3, 1 / 3]))).toBeLessThan(1e-5);
  });

  it('more items than the weight scratch still composes (with a temporary)', () => {
    const items = Array.from({ length: 5 }, (_, i) => ({ lora: randomLora(i, 1, 8, 6), score: i + 1 }));
    const target = createComposeBuffers({ maxRank: 5, inFeatures: 8, outFeatures: 6, maxItems: 2 });
    const composite = weightedAverage.composeInto!(items, target);
    const weights = items.map((it) => it.score / 15);
    expect(relativeError(denseDelta(composite), weightedSum(items, weights))).toBeLessThan(1e-5);
  });

  it('composeExact takes any finite weights, including negative ones, and validates them', () => {
    const items = [0, 1, 2].map((i) => ({ lora: randomLora(50 + i, i + 1, 10, 7), score: 0 }));
    const weights = [1.5, -0.25, 3];
    const composite = composeExact(items, weights);
    expect(relativeError(denseDelta(composite), weightedSum(items, weights))).toBeLessThan(1e-5);
    expect(composite.rank).toBe(6);
    expect(codeOf(() => composeExact(items, [1, 2]))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => composeExact(items, [1, Number.NaN, 2]))).toBe('NON_FINITE');
    expect(codeOf(() => composeExact(items, [1, 1e300, 1].map((w, i) => (i === 1 ? w * 1e10 : w))))).toBe('NON_FINITE');
    expect(codeOf(() => composeExact([{ lora: randomLora(1, 1, 4, 4, { alpha: 1e300 }), score: 0 }], [1e300]))).toBe('NON_FINITE');
    const target = createComposeBuffers({ maxRank: 6, inFeatures: 10, outFeatures: 7 });
    expect(composeExact(items, weights, { target }).a.buffer).toBe(target.a.buffer);
    expect(codeOf(() => composeExact([], []))).toBe('INVALID_ARGUMENT');
    expect(composeExact([], [], { target }).rank).toBe(1);
  });

  it('errors are MicroLoraError instances with a message naming the item', () => {
    try {
      weightedAverage.compose([{ lora: randomLora(1, 2, 8, 6), score: 1 }, { lora: randomLora(2, 2, 8, 9), score: 1 }]);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(MicroLoraError);
      expect((err as Error).message).toMatch(/items\[1\].*8 → 9.*8 → 6/);
    }
  });
});
