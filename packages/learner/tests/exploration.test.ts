import { describe, expect, it } from 'vitest';
import { referenceLoraApply } from '@microlora/simd/conformance';
import { OnlineLearner } from '@microlora/learner';
import { randomLora, randomVector } from './fixtures.js';

const N = 32;
const M = 24;

function explorer(seed = 1, exploration = 0.2): OnlineLearner {
  return new OnlineLearner({ initial: randomLora(seed, 2, N, M), seed, exploration });
}

function rms(x: Float32Array): number {
  return Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
}

describe('exploration (quality-only feedback)', () => {
  it('apply adds ±σ per output with σ = exploration × RMS(input), reproducible from the seed', () => {
    const learner = explorer();
    const x = randomVector(2, N, 3);
    const clean = referenceLoraApply(learner.lora, x);
    const noisy = learner.apply(x);
    const sigma = 0.2 * rms(x);
    const signs = Array.from(noisy, (v, o) => (v - clean[o]!) / sigma);
    for (const s of signs) expect(Math.abs(Math.abs(s) - 1)).toBeLessThan(1e-4);
    expect(signs.some((s) => s > 0) && signs.some((s) => s < 0)).toBe(true);
    // Same seed, same noise; the next call draws new noise.
    expect(Array.from(explorer().apply(x))).toEqual(Array.from(noisy));
    expect(Array.from(learner.apply(x))).not.toEqual(Array.from(noisy));
  });

  it('feedback pairs with the explored apply by content; unexplored inputs teach nothing', () => {
    const learner = explorer();
    const x = randomVector(3, N);
    learner.apply(x);
    expect(learner.adapt(randomVector(4, N), { quality: 0.9 })).toBe('none');
    expect(learner.adapt(x.slice(), { quality: 0.9 })).toBe('exploration');
    // Each explored apply is consumed once.
    expect(learner.adapt(x, { quality: 0.9 })).toBe('none');
    const stats = learner.stats();
    expect(stats.pendingUpdates).toBe(1);
    expect(stats.uninformativeEvents).toBe(2);
    expect(stats.samplesSeen).toBe(3);
    expect(stats.avgQuality).toBeCloseTo(0.9, 12);
  });

  it('without exploration, quality alone changes no weight', () => {
    const learner = new OnlineLearner({ initial: randomLora(5, 2, N, M) });
    const x = randomVector(6, N);
    learner.apply(x);
    expect(learner.adapt(x, { quality: 1 })).toBe('none');
    expect(learner.applyUpdates(0.5)).toBe(0);
    expect(Array.from(learner.lora.b)).toEqual(Array.from(randomLora(5, 2, N, M).b));
  });

  it('good feedback moves the output toward the explored noise, bad feedback away from it', () => {
    for (const [quality, sign] of [
      [0.9, 1],
      [0.1, -1],
    ] as const) {
      const learner = explorer(7);
      const x = randomVector(8, N);
      const clean = referenceLoraApply(learner.lora, x);
      const noise = Array.from(learner.apply(x), (v, o) => v - clean[o]!);
      learner.adapt(x, { quality }); // baseline 0.5: advantage ±0.4
      learner.applyUpdates(0.1);
      const after = referenceLoraApply(learner.lora, x);
      const moved = noise.reduce((s, e, o) => s + e * (after[o]! - clean[o]!), 0);
      expect(Math.sign(moved)).toBe(sign);
    }
  });

  it('remembers at most explorationMemory applies (oldest forgotten first)', () => {
    const learner = new OnlineLearner({ initial: randomLora(9, 2, N, M), exploration: 0.1, explorationMemory: 2 });
    const xs = [10, 11, 12].map((s) => randomVector(s, N));
    for (const x of xs) learner.apply(x);
    expect(learner.adapt(xs[0]!, { quality: 0.7 })).toBe('none');
    expect(learner.adapt(xs[2]!, { quality: 0.7 })).toBe('exploration');
    expect(learner.adapt(xs[1]!, { quality: 0.7 })).toBe('exploration');
  });
});
