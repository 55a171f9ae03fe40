import { describe, expect, it } from 'vitest';
import { materializeDelta } from '@microlora/core';
import { referenceLoraApply } from '@microlora/simd/conformance';
import { OnlineLearner } from '@microlora/learner';
import { axpy64, norm64, randomLora, randomVector, referenceGradients, relativeMaxError } from './fixtures.js';

const N = 48;
const M = 40;

function learnerFrom(seed: number, options: Partial<ConstructorParameters<typeof OnlineLearner>[0]> = {}, rank = 3): OnlineLearner {
  return new OnlineLearner({ initial: randomLora(seed, rank, N, M), stepRule: 'sgd', ...options });
}

describe('exact chain rule (sgd step rule)', () => {
  it('one gradient event: A −= η·s(Bᵀg)xᵀ and B −= η·s(Ax)gᵀ', () => {
    const learner = learnerFrom(1);
    const start = learner.snapshot();
    const x = randomVector(2, N);
    const g = randomVector(3, M);
    expect(learner.adapt(x, { gradient: g })).toBe('gradient');
    expect(learner.pendingUpdates).toBe(1);
    expect(learner.applyUpdates(0.05)).toBe(1);
    const { gradA, gradB } = referenceGradients(start, x, g);
    expect(relativeMaxError(learner.lora.a, axpy64(start.a, -0.05, gradA))).toBeLessThan(1e-6);
    expect(relativeMaxError(learner.lora.b, axpy64(start.b, -0.05, gradB))).toBeLessThan(1e-6);
    expect(learner.pendingUpdates).toBe(0);
  });

  it('applyUpdates applies the MEAN of the queued steps, weighted per event', () => {
    const learner = learnerFrom(4);
    const start = learner.snapshot();
    const events = [0, 1, 2].map((k) => ({ x: randomVector(10 + k, N), g: randomVector(20 + k, M), w: [1, 0.5, 2][k]! }));
    for (const e of events) learner.adapt(e.x, { gradient: e.g, weight: e.w });
    expect(learner.applyUpdates(0.1)).toBe(3);
    const meanA = new Float64Array(start.a.length);
    const meanB = new Float64Array(start.b.length);
    for (const e of events) {
      const { gradA, gradB } = referenceGradients(start, e.x, e.g);
      for (let i = 0; i < meanA.length; i++) meanA[i]! += (e.w * gradA[i]!) / 3;
      for (let i = 0; i < meanB.length; i++) meanB[i]! += (e.w * gradB[i]!) / 3;
    }
    expect(relativeMaxError(learner.lora.a, axpy64(start.a, -0.1, meanA))).toBeLessThan(1e-6);
    expect(relativeMaxError(learner.lora.b, axpy64(start.b, -0.1, meanB))).toBeLessThan(1e-6);
  });

  it('a target is the squared-error gradient Δ(x) + base − target', () => {
    const learner = learnerFrom(5);
    const start = learner.snapshot();
    const x = randomVector(6, N);
    const base = randomVector(7, M);
    const target = randomVector(8, M);
    const delta = referenceLoraApply(start, x);
    const g = new Float64Array(M).map((_, o) => delta[o]! + base[o]! - target[o]!);
    expect(learner.adapt(x, { target, base })).toBe('target');
    learner.applyUpdates(0.02);
    const { gradA, gradB } = referenceGradients(start, x, g);
    expect(relativeMaxError(learner.lora.a, axpy64(start.a, -0.02, gradA))).toBeLessThan(1e-5);
    expect(relativeMaxError(learner.lora.b, axpy64(start.b, -0.02, gradB))).toBeLessThan(1e-5);
  });

  it('quality + ∂log p: ascends (quality − baseline) × the gradient; the baseline starts at 0.5 and follows qualities', () => {
    const learner = learnerFrom(9);
    const start = learner.snapshot();
    const x = randomVector(10, N);
    const g = randomVector(11, M);
    expect(learner.qualityBaseline).toBe(0.5);
    expect(learner.adapt(x, { quality: 0.9, logProbGradient: g })).toBe('policy');
    learner.applyUpdates(0.1);
    const { gradA, gradB } = referenceGradients(start, x, g);
    // advantage 0.4: the step is +η·0.4·∂(g·Δ)/∂θ.
    expect(relativeMaxError(learner.lora.a, axpy64(start.a, 0.1 * 0.4, gradA))).toBeLessThan(1e-6);
    expect(relativeMaxError(learner.lora.b, axpy64(start.b, 0.1 * 0.4, gradB))).toBeLessThan(1e-6);
    // The 0.5 prior holds full weight: with the default decay 0.9 the baseline moves 10% of the way.
    const baseline = 0.9 * 0.5 + 0.1 * 0.9;
    expect(learner.qualityBaseline).toBeCloseTo(baseline, 12);
    // A worse outcome than the baseline pushes the other way.
    const before = learner.snapshot();
    learner.adapt(x, { quality: 0.2, logProbGradient: g });
    learner.applyUpdates(0.1);
    const after = referenceGradients(before, x, g);
    expect(relativeMaxError(learner.lora.b, axpy64(before.b, 0.1 * (0.2 - baseline), after.gradB))).toBeLessThan(1e-6);
  });

  it('two bad ratings in a row both push away (the first rating does not become the baseline)', () => {
    const learner = learnerFrom(15);
    const x = randomVector(16, N);
    const g = randomVector(17, M);
    for (let round = 0; round < 2; round++) {
      const before = learner.snapshot();
      learner.adapt(x, { quality: 0, logProbGradient: g });
      learner.applyUpdates(0.1);
      const advantage = 0 - (round === 0 ? 0.5 : 0.9 * 0.5);
      const { gradB } = referenceGradients(before, x, g);
      expect(advantage).toBeLessThan(0);
      expect(relativeMaxError(learner.lora.b, axpy64(before.b, 0.1 * advantage, gradB))).toBeLessThan(1e-6);
    }
  });

  it('weight decay shrinks both factors by (1 − η·decay) before the step', () => {
    const learner = learnerFrom(12, { weightDecay: 0.5 });
    const start = learner.snapshot();
    const x = randomVector(13, N);
    const g = randomVector(14, M);
    learner.adapt(x, { gradient: g });
    learner.applyUpdates(0.2);
    const { gradA, gradB } = referenceGradients(start, x, g);
    const keep = 1 - 0.2 * 0.5;
    const expectedA = new Float64Array(start.a.length).map((_, i) => keep * start.a[i]! - 0.2 * gradA[i]!);
    const expectedB = new Float64Array(start.b.length).map((_, i) => keep * start.b[i]! - 0.2 * gradB[i]!);
    expect(relativeMaxError(learner.lora.a, expectedA)).toBeLessThan(1e-6);
    expect(relativeMaxError(learner.lora.b, expectedB)).toBeLessThan(1e-6);
  });

  it('clipNorm caps the Frobenius norm of one event’s step and counts it', () => {
    const learner = learnerFrom(15, { clipNorm: 0.01 });
    const start = learner.snapshot();
    const x = randomVector(16, N, 10);
    const g = randomVector(17, M, 10);
    learner.adapt(x, { gradient: g });
    learner.applyUpdates(1);
    const dA = new Float64Array(start.a.length).map((_, i) => learner.lora.a[i]! - start.a[i]!);
    const dB = new Float64Array(start.b.length).map((_, i) => learner.lora.b[i]! - start.b[i]!);
    expect(Math.hypot(norm64(dA), norm64(dB))).toBeCloseTo(0.01, 6);
    expect(learner.stats().clippedEvents).toBe(1);
    // Same direction as the exact gradient.
    const { gradA } = referenceGradients(start, x, g);
    const cos = dA.reduce((s, v, i) => s - v * gradA[i]!, 0) / (norm64(dA) * norm64(gradA));
    expect(cos).toBeGreaterThan(0.999999);
  });
});

describe('normalized step rule', () => {
  it('divides the exact gradient by the curvature s²(max(‖Ax‖², ‖A‖²‖x‖²/n) + ‖x‖²‖Bᵀg‖²/‖g‖²)', () => {
    const learner = new OnlineLearner({ initial: randomLora(18, 2, N, M) });
    expect(learner.stepRule).toBe('normalized');
    const start = learner.snapshot();
    const x = randomVector(19, N);
    const g = randomVector(20, M);
    learner.adapt(x, { gradient: g });
    learner.applyUpdates(0.5);
    const { rank, a, b, scaling: s } = start;
    let uu = 0;
    let vv = 0;
    let aa = 0;
    for (let r = 0; r < rank; r++) {
      let u = 0;
      for (let i = 0; i < N; i++) u += a[r * N + i]! * x[i]!;
      let v = 0;
      for (let o = 0; o < M; o++) v += b[r * M + o]! * g[o]!;
      uu += u * u;
      vv += v * v;
    }
    for (const v of a) aa += v * v;
    const xx = norm64(x) ** 2;
    const gg = norm64(g) ** 2;
    const k = 1 / (s * s * (Math.max(uu, (aa * xx) / N) + (xx * vv) / gg));
    const { gradA, gradB } = referenceGradients(start, x, g);
    expect(relativeMaxError(learner.lora.a, axpy64(start.a, -0.5 * k, gradA))).toBeLessThan(1e-5);
    expect(relativeMaxError(learner.lora.b, axpy64(start.b, -0.5 * k, gradB))).toBeLessThan(1e-5);
  });

  it('is invariant to the scale of the hidden states: the output change scales with them', () => {
    const outputChange = (scale: number): Float64Array => {
      const learner = new OnlineLearner({ initial: randomLora(21, 2, N, M) });
      const x = randomVector(22, N, scale);
      const before = referenceLoraApply(learner.lora, x);
      learner.adapt(x, { target: randomVector(23, M, scale) });
      learner.applyUpdates(0.5);
      const after = referenceLoraApply(learner.lora, x);
      return after.map((v, o) => v - before[o]!);
    };
    const small = outputChange(1);
    const large = outputChange(100);
    expect(relativeMaxError(small.map((v) => v * 100), large)).toBeLessThan(1e-3);
  });
});

describe('apply', () => {
  it('apply / applyInto / applyAdd give the float64 reference delta', () => {
    const learner = new OnlineLearner({ initial: randomLora(24, 4, N, M) });
    const x = randomVector(25, N);
    const ref = referenceLoraApply(learner.lora, x);
    expect(relativeMaxError(learner.apply(x), ref)).toBeLessThan(1e-5);
    const out = new Float32Array(M).fill(Number.NaN);
    expect(relativeMaxError(learner.applyInto(x, out), ref)).toBeLessThan(1e-5);
    const y = randomVector(26, M);
    const expected = Array.from(y, (v, o) => v + ref[o]!);
    expect(relativeMaxError(learner.applyAdd(x, y), expected)).toBeLessThan(1e-5);
  });

  it('deltaNorm is ‖scaling·B·A‖_F', () => {
    const learner = new OnlineLearner({ initial: randomLora(27, 3, N, M) });
    expect(learner.deltaNorm()).toBeCloseTo(norm64(materializeDelta(learner.lora)), 6);
  });

  it('a new learner is seeded: B = 0 (ΔW = 0), A reproducible from the seed', () => {
    const one = new OnlineLearner({ rank: 2, inFeatures: N, outFeatures: M, seed: 42 });
    const two = new OnlineLearner({ rank: 2, inFeatures: N, outFeatures: M, seed: 42 });
    const other = new OnlineLearner({ rank: 2, inFeatures: N, outFeatures: M, seed: 43 });
    expect(one.deltaNorm()).toBe(0);
    expect(Array.from(one.lora.a)).toEqual(Array.from(two.lora.a));
    expect(Array.from(one.lora.a)).not.toEqual(Array.from(other.lora.a));
    expect(one.lora.scaling).toBe(2);
  });
});
