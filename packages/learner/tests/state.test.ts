import { describe, expect, it } from 'vitest';
import { isMicroLoraError } from '@microlora/core';
import { OnlineLearner, type LearnerState } from '@microlora/learner';
import { randomVector } from './fixtures.js';

const N = 20;
const M = 16;

function trained(): OnlineLearner {
  const learner = new OnlineLearner({ rank: 2, inFeatures: N, outFeatures: M, seed: 3, exploration: 0.1 });
  for (let t = 0; t < 30; t++) {
    const x = randomVector(100 + t, N);
    learner.apply(x);
    learner.adapt(x, { quality: (t % 7) / 7 });
    if (t % 3 === 2) learner.applyUpdates(0.05);
  }
  learner.apply(randomVector(999, N)); // an explored apply still awaiting feedback
  return learner;
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isMicroLoraError(err) ? err.code : `not a MicroLoraError: ${String(err)}`;
  }
  return undefined;
}

describe('state', () => {
  it('exportState → fromState restores weights, queue, baseline, statistics and pending explorations', () => {
    const learner = trained();
    expect(learner.pendingUpdates).toBe(0);
    learner.adapt(randomVector(500, N), { gradient: randomVector(501, M) });
    const copy = OnlineLearner.fromState(learner.exportState(), { seed: 3, exploration: 0.1 });
    expect(copy.stats()).toEqual(learner.stats());
    expect(copy.qualityBaseline).toBe(learner.qualityBaseline);
    // Identical futures: the queued event, the awaited exploration and new noise.
    for (const l of [learner, copy]) {
      l.adapt(randomVector(999, N), { quality: 0.8 });
      l.applyUpdates(0.1);
      l.apply(randomVector(7, N));
    }
    expect(Array.from(copy.lora.a)).toEqual(Array.from(learner.lora.a));
    expect(Array.from(copy.lora.b)).toEqual(Array.from(learner.lora.b));
    expect(Array.from(copy.apply(randomVector(8, N)))).toEqual(Array.from(learner.apply(randomVector(8, N))));
  });

  it('reset() returns to the seeded initial state', () => {
    const fresh = new OnlineLearner({ rank: 2, inFeatures: N, outFeatures: M, seed: 3, exploration: 0.1 });
    const learner = trained();
    expect(learner.deltaNorm()).toBeGreaterThan(0);
    learner.adapt(randomVector(1, N), { gradient: randomVector(2, M) });
    learner.reset();
    expect(Array.from(learner.lora.a)).toEqual(Array.from(fresh.lora.a));
    expect(Array.from(learner.lora.b)).toEqual(Array.from(fresh.lora.b));
    expect(learner.stats()).toEqual(fresh.stats());
    expect(Array.from(learner.apply(randomVector(5, N)))).toEqual(Array.from(fresh.apply(randomVector(5, N))));
  });

  it('importState validates everything before changing anything', () => {
    const learner = trained();
    const good = learner.exportState();
    const before = learner.exportState();
    const broken: [string, (s: LearnerState) => LearnerState, string][] = [
      ['shape', (s) => ({ ...s, rank: 3 }), 'DIMENSION_MISMATCH'],
      ['alpha', (s) => ({ ...s, alpha: 5 }), 'DIMENSION_MISMATCH'],
      ['short a', (s) => ({ ...s, a: s.a.subarray(1) }), 'DIMENSION_MISMATCH'],
      ['NaN b', (s) => ({ ...s, b: s.b.map((v, i) => (i === 3 ? Number.NaN : v)) }), 'NON_FINITE'],
      ['Infinity pending', (s) => ({ ...s, pendingA: s.pendingA.map((v, i) => (i === 0 ? Infinity : v)) }), 'NON_FINITE'],
      ['negative count', (s) => ({ ...s, pendingCount: -1 }), 'CORRUPT_DATA'],
      ['fractional count', (s) => ({ ...s, samplesSeen: 1.5 }), 'CORRUPT_DATA'],
      ['quality sum', (s) => ({ ...s, qualitySum: s.qualitySamples + 1 }), 'OUT_OF_RANGE'],
      ['records', (s) => ({ ...s, explorationRecords: [{ sum1: 0, sum2: 0, event: 1, gain: -1 }] }), 'OUT_OF_RANGE'],
      ['plain array', (s) => ({ ...s, a: Array.from(s.a) as unknown as Float32Array }), 'INVALID_ARGUMENT'],
    ];
    for (const [name, mutate, expected] of broken) {
      expect([name, code(() => learner.importState(mutate(good)))]).toEqual([name, expected]);
    }
    expect(learner.exportState()).toEqual(before);
  });
});
