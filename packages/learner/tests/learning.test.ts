import { describe, expect, it } from 'vitest';
import {
  meanOfLast,
  runConstantQualityExperiment,
  runEwcExperiment,
  runLinearFitExperiment,
  runPolicyGradientExperiment,
  runQualityOnlyExperiment,
} from '@microlora/learner/experiments';

// The learning criteria, with fixed seeds. `npx vitest run tests/learning.test.ts`;
// the bench suite "learning" reports the same experiments over more seeds and longer runs.
describe('learning works', () => {
  it('(a) policy gradient: P(preferred) over the last 50 of 300 rounds ≥ 0.95 at rank 2', () => {
    const { preferredProbability } = runPolicyGradientExperiment({ rank: 2, rounds: 300, seed: 3 });
    expect(preferredProbability[0]).toBeLessThan(0.5); // it starts far from the goal
    expect(meanOfLast(preferredProbability, 50)).toBeGreaterThanOrEqual(0.95);
  });

  it('(b) quality only, 64-d rank 2: mean quality over the last 100 of 1000 rounds ≥ 0.75; inverted feedback moves away', () => {
    const liked = runQualityOnlyExperiment({ dimension: 64, rounds: 1000, exploration: 0.1, learningRate: 0.01, seed: 5 });
    expect(meanOfLast(liked.quality.slice(0, 100), 100)).toBeLessThan(0.75);
    expect(meanOfLast(liked.quality, 100)).toBeGreaterThanOrEqual(0.75);
    const disliked = runQualityOnlyExperiment({ dimension: 64, rounds: 1000, exploration: 0.1, learningRate: 0.01, seed: 5, inverted: true });
    // The true quality falls well below the 0.5 of an output unrelated to u.
    expect(meanOfLast(disliked.quality, 100)).toBeLessThan(0.25);
  });

  it('(c) 10k rounds of constant quality 1.0: weights stay finite and ‖ΔW‖ stops growing', () => {
    const { deltaNorms, finite } = runConstantQualityExperiment({ dimension: 768, rounds: 10_000, seed: 9 });
    expect(finite).toBe(true);
    const last = deltaNorms[deltaNorms.length - 1]!;
    const middle = deltaNorms[Math.floor(deltaNorms.length / 2)]!;
    expect(Number.isFinite(last)).toBe(true);
    expect(last).toBeLessThan(1);
    // Settled: the second half adds (almost) nothing.
    expect(Math.abs(last - middle)).toBeLessThan(1e-3 + 0.01 * middle);
  });

  it('(d) a rank-2 768-d linear map is fitted to ≥ 95% variance explained within 3000 samples', () => {
    const { curve, final } = runLinearFitExperiment({ dimension: 768, samples: 3000, learningRate: 0.8, seed: 7 });
    expect(curve[0]![1]).toBeLessThan(0.5);
    expect(final).toBeGreaterThanOrEqual(0.95);
  });

  it('(e) EWC++: task A forgets ≥ 3× less while task B ends within 1.5× of its loss without EWC++', async () => {
    const without = await runEwcExperiment({ lambda: 0, seed: 11 });
    const withEwc = await runEwcExperiment({ lambda: 0.1, seed: 11 });
    const riseWithout = without.lossAAfterB - without.lossAAfterA;
    const riseWith = withEwc.lossAAfterB - withEwc.lossAAfterA;
    expect(withEwc.lossAAfterA).toBeCloseTo(without.lossAAfterA, 10); // same run until task B
    expect(riseWithout).toBeGreaterThan(0);
    expect(riseWith * 3).toBeLessThanOrEqual(riseWithout);
    expect(withEwc.lossBAfterB).toBeLessThanOrEqual(1.5 * without.lossBAfterB);
  });
});
