import { describe, expect, it } from 'vitest';
import { ManualClock, isMicroLoraError, materializeDelta } from '@microlora/core';
import { MicroLoraBank } from '@microlora/bank';
import { decompress } from '@microlora/quantization';
import { BaseLoraConsolidator, EwcState, patternDistillationTask, sampleConsolidationTask } from '@microlora/learner';
import { randomLora, randomVector } from './fixtures.js';

const D = 24;

describe('BaseLoraConsolidator', () => {
  it('distils harvested patterns into a rank-8 BaseLoRA ≈ their success-weighted mean ΔW', async () => {
    const bank = new MicroLoraBank({ timestepRange: [0, 1], maxPatterns: 8, dimension: D, clock: new ManualClock(0) });
    const rates = [0.9, 0.6, 0.3];
    rates.forEach((rate, k) =>
      bank.insert({ id: `p${k}`, embedding: randomVector(k, D), lora: randomLora(10 + k, 2, D, D), timestepRange: [0, 1], metrics: { successRate: rate } }),
    );
    const patterns = bank.patterns();
    const consolidator = new BaseLoraConsolidator({ inFeatures: D, outFeatures: D, rank: 8, seed: 4, batchSize: 16 });
    const report = await consolidator.train(patternDistillationTask(patterns), { steps: 1500 });
    expect(report).toMatchObject({ steps: 1500, samples: 24_000, aborted: false });
    // Expected: Σ w_p ΔW_p / Σ w_p over the stored (int8) patterns.
    const mean = new Float64Array(D * D);
    const total = rates.reduce((s, r) => s + r, 0);
    patterns.forEach((p) => {
      const delta = materializeDelta(decompress(p.lora));
      for (let i = 0; i < mean.length; i++) mean[i]! += (p.metrics.successRate / total) * delta[i]!;
    });
    const base = materializeDelta(consolidator.lora);
    let err = 0;
    let norm = 0;
    for (let i = 0; i < mean.length; i++) {
      err += (base[i]! - mean[i]!) ** 2;
      norm += mean[i]! ** 2;
    }
    expect(Math.sqrt(err / norm)).toBeLessThan(0.1);
  });

  it('trains in chunks that yield to the event loop, reports progress, and stops on abort', async () => {
    const task = sampleConsolidationTask([randomVector(1, D)], [randomVector(2, D)]);
    const consolidator = new BaseLoraConsolidator({ inFeatures: D, outFeatures: D, rank: 8 });
    let immediateRan = true;
    const yielded: boolean[] = [];
    const steps: number[] = [];
    const signal = { aborted: false };
    const report = await consolidator.train(task, {
      steps: 100,
      chunkSize: 10,
      signal,
      onProgress: (p) => {
        yielded.push(immediateRan);
        steps.push(p.step);
        immediateRan = false;
        setImmediate(() => (immediateRan = true));
        if (p.step === 70) signal.aborted = true;
      },
    });
    expect(steps).toEqual([10, 20, 30, 40, 50, 60, 70]);
    expect(yielded.every(Boolean)).toBe(true);
    expect(report).toMatchObject({ steps: 70, aborted: true });
    expect(consolidator.steps).toBe(70);
  });

  it('allows one training run at a time and checks the task shape', async () => {
    const task = sampleConsolidationTask([randomVector(1, D)], [randomVector(2, D)]);
    const consolidator = new BaseLoraConsolidator({ inFeatures: D, outFeatures: D });
    const running = consolidator.train(task, { steps: 50, chunkSize: 5 });
    await expect(consolidator.train(task, { steps: 1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await running;
    const wrong = sampleConsolidationTask([randomVector(1, D + 1)], [randomVector(2, D)]);
    await expect(consolidator.train(wrong, { steps: 1 })).rejects.toMatchObject({ code: 'DIMENSION_MISMATCH' });
    const nan = sampleConsolidationTask([randomVector(1, D).fill(Number.NaN)], [randomVector(2, D)]);
    await expect(consolidator.train(nan, { steps: 1 })).rejects.toMatchObject({ code: 'NON_FINITE' });
    expect(() => new BaseLoraConsolidator({ inFeatures: D, outFeatures: D, learningRate: 3 })).toThrow(
      expect.objectContaining({ code: 'OUT_OF_RANGE' }),
    );
    expect(isMicroLoraError(new Error('x'))).toBe(false);
  });
});

describe('EwcState', () => {
  it('estimates the Gauss–Newton Fisher diagonal, decays it at task boundaries and takes exact proximal steps', () => {
    const rank = 2;
    const n = 3;
    const m = 2;
    const ewc = new EwcState({ lambda: 2, decay: 0.5, rate: 1 }, rank * n, rank * m);
    const x = new Float32Array([1, -2, 3]);
    const u = [0.5, -1];
    const bNormSq = [4, 9];
    ewc.observe(x, u, bNormSq, 2, rank);
    const a = new Float32Array(rank * n).fill(1);
    const b = new Float32Array(rank * m).fill(-1);
    ewc.consolidate(a, b);
    // F_A[r][i] = s²‖b_r‖²x_i², F_B[r][o] = s²u_r².
    expect(Array.from(ewc.fisherA)).toEqual([16, 64, 144, 36, 144, 324]);
    expect(Array.from(ewc.fisherB)).toEqual([1, 1, 4, 4]);
    expect(ewc.active).toBe(true);
    const moved = new Float32Array(rank * n).fill(2);
    expect(ewc.penalty(moved, b)).toBeCloseTo(0.5 * 2 * (16 + 64 + 144 + 36 + 144 + 324), 6);
    ewc.applyPenalty(moved, b, 0.25); // θ ← (θ + ηλFθ*)/(1 + ηλF), ηλ = 0.5
    expect(moved[0]).toBeCloseTo((2 + 0.5 * 16) / (1 + 0.5 * 16), 6);
    // The next boundary keeps decay × the old Fisher plus the new task's.
    ewc.observe(x, [0, 0], [0, 0], 2, rank);
    ewc.consolidate(a, b);
    expect(Array.from(ewc.fisherB)).toEqual([0.5, 0.5, 2, 2]);
    expect(ewc.consolidatedTasks).toBe(2);
  });
});
