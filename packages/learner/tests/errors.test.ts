import { describe, expect, it } from 'vitest';
import { isMicroLoraError } from '@microlora/core';
import { OnlineLearner, type OnlineLearnerOptions } from '@microlora/learner';
import { randomLora, randomVector } from './fixtures.js';

const N = 16;
const M = 12;

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isMicroLoraError(err) ? err.code : `not a MicroLoraError: ${String(err)}`;
  }
  return undefined;
}

describe('bad input throws a typed error and changes nothing', () => {
  it('adapt', () => {
    const learner = new OnlineLearner({ initial: randomLora(1, 2, N, M) });
    const x = randomVector(2, N);
    const g = randomVector(3, M);
    const nanX = x.map((v, i) => (i === 5 ? Number.NaN : v));
    const infG = g.map((v, i) => (i === 2 ? Infinity : v));
    const cases: [string, () => unknown, string][] = [
      ['short input', () => learner.adapt(x.subarray(1), { gradient: g }), 'DIMENSION_MISMATCH'],
      ['plain array input', () => learner.adapt([...x] as unknown as Float32Array, { gradient: g }), 'INVALID_ARGUMENT'],
      ['NaN input', () => learner.adapt(nanX, { gradient: g }), 'NON_FINITE'],
      ['Infinity gradient', () => learner.adapt(x, { gradient: infG }), 'NON_FINITE'],
      ['long gradient', () => learner.adapt(x, { gradient: randomVector(4, M + 1) }), 'DIMENSION_MISMATCH'],
      ['NaN target', () => learner.adapt(x, { target: g.map(() => Number.NaN) }), 'NON_FINITE'],
      ['quality 1.5', () => learner.adapt(x, { quality: 1.5 }), 'OUT_OF_RANGE'],
      ['quality NaN', () => learner.adapt(x, { quality: Number.NaN }), 'NON_FINITE'],
      ['two gradients', () => learner.adapt(x, { gradient: g, target: g }), 'INVALID_ARGUMENT'],
      ['policy without quality', () => learner.adapt(x, { logProbGradient: g }), 'INVALID_ARGUMENT'],
      ['base without target', () => learner.adapt(x, { gradient: g, base: g }), 'INVALID_ARGUMENT'],
      ['negative weight', () => learner.adapt(x, { gradient: g, weight: -1 }), 'OUT_OF_RANGE'],
      ['no feedback', () => learner.adapt(x, null as never), 'INVALID_ARGUMENT'],
    ];
    learner.adapt(x, { gradient: g });
    const before = learner.exportState();
    for (const [name, fn, expected] of cases) expect([name, code(fn)]).toEqual([name, expected]);
    expect(learner.exportState()).toEqual(before);
  });

  it('apply', () => {
    const learner = new OnlineLearner({ initial: randomLora(5, 2, N, M) });
    expect(code(() => learner.apply(randomVector(6, N + 1)))).toBe('DIMENSION_MISMATCH');
    expect(code(() => learner.apply(randomVector(6, N).map(() => -Infinity)))).toBe('NON_FINITE');
    expect(code(() => learner.applyInto(randomVector(6, N), new Float32Array(M - 1)))).toBe('DIMENSION_MISMATCH');
    expect(code(() => learner.apply(new Float64Array(N) as unknown as Float32Array))).toBe('INVALID_ARGUMENT');
  });

  it('applyUpdates', () => {
    const learner = new OnlineLearner({ initial: randomLora(7, 2, N, M), stepRule: 'sgd', weightDecay: 2 });
    learner.adapt(randomVector(8, N), { gradient: randomVector(9, M) });
    const before = learner.exportState();
    expect(code(() => learner.applyUpdates(Number.NaN))).toBe('NON_FINITE');
    expect(code(() => learner.applyUpdates(-0.1))).toBe('OUT_OF_RANGE');
    expect(code(() => learner.applyUpdates(1))).toBe('OUT_OF_RANGE'); // lr × decay = 2 > 1
    expect(learner.exportState()).toEqual(before);
    expect(learner.applyUpdates(0.25)).toBe(1);
    const fresh = new OnlineLearner({ initial: randomLora(7, 2, N, M), stepRule: 'sgd' });
    fresh.adapt(randomVector(8, N), { gradient: randomVector(9, M) });
    const queued = fresh.exportState();
    expect(code(() => fresh.applyUpdates(1e300))).toBe('OUT_OF_RANGE');
    expect(fresh.exportState()).toEqual(queued);
  });

  it('options', () => {
    const base: OnlineLearnerOptions = { rank: 2, inFeatures: N, outFeatures: M };
    const cases: [string, OnlineLearnerOptions, string][] = [
      ['rank 0', { ...base, rank: 0 }, 'RANK_OUT_OF_RANGE'],
      ['no shape', {}, 'RANK_OUT_OF_RANGE'],
      ['fractional in', { ...base, inFeatures: 1.5 }, 'INVALID_ARGUMENT'],
      ['alpha 0', { ...base, alpha: 0 }, 'OUT_OF_RANGE'],
      ['clipNorm 0', { ...base, clipNorm: 0 }, 'OUT_OF_RANGE'],
      ['step rule', { ...base, stepRule: 'adam' as never }, 'INVALID_ARGUMENT'],
      ['exploration < 0', { ...base, exploration: -0.1 }, 'OUT_OF_RANGE'],
      ['baselineDecay 1', { ...base, baselineDecay: 1 }, 'OUT_OF_RANGE'],
      ['memory 0', { ...base, explorationMemory: 0 }, 'OUT_OF_RANGE'],
      ['seed', { ...base, seed: 1.5 }, 'INVALID_ARGUMENT'],
    ];
    for (const [name, options, expected] of cases) expect([name, code(() => new OnlineLearner(options))]).toEqual([name, expected]);
    const learner = new OnlineLearner(base);
    expect(code(() => learner.configure({ exploration: Number.NaN }))).toBe('NON_FINITE');
    expect(learner.exploration).toBe(0);
  });
});
