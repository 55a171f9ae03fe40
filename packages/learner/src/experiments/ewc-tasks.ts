import { SeededRng } from '@microlora/core';
import type { SimdOps } from '@microlora/simd';
import { BaseLoraConsolidator } from '../base-lora-consolidator.js';
import type { ConsolidationTask } from '../consolidation-task.js';
import { orthonormalVectors } from './linear-algebra.js';

export interface EwcExperimentOptions {
  /** Hidden size. Default 128. */
  dimension?: number;
  /** Dimension of each task's input subspace. Default 16. */
  subspace?: number;
  /** BaseLoRA rank. Default 8. */
  rank?: number;
  /** Steps per task (each a batch of 8). Default 1000. */
  steps?: number;
  /** EWC++ strength; 0 trains without it. */
  lambda: number;
  /** Per-output std of the noise in the training targets. Default 0.3. */
  noise?: number;
  seed?: number;
  backend?: SimdOps;
}

export interface EwcExperimentResult {
  /** Mean squared error on clean task-A targets after training on A. */
  lossAAfterA: number;
  /** … and after then training on B. */
  lossAAfterB: number;
  /** Mean squared error on clean task-B targets after training on B. */
  lossBAfterB: number;
}

/**
 * Experiment (e): two consolidation tasks in orthogonal input subspaces of the
 * same hidden space, each a rank-2 map (singular values 3, 2) to its own output
 * directions, with noisy training targets (harvested patterns are noisy).
 * A rank-8 BaseLoRA learns A, then B; losses are measured against clean targets.
 */
export async function runEwcExperiment(options: EwcExperimentOptions): Promise<EwcExperimentResult> {
  const n = options.dimension ?? 128;
  const k = options.subspace ?? 16;
  const steps = options.steps ?? 1000;
  const noise = options.noise ?? 0.3;
  const seed = options.seed ?? 11;
  const rng = new SeededRng(seed);
  const inputsA = orthonormalVectors(rng, n, k);
  const inputsB = orthonormalVectors(rng, n, k, inputsA);
  const outputsA = orthonormalVectors(rng, n, 2);
  const outputsB = orthonormalVectors(rng, n, 2);
  const consolidator = new BaseLoraConsolidator({
    inFeatures: n,
    outFeatures: n,
    rank: options.rank ?? 8,
    seed: seed + 1,
    ewc: options.lambda > 0 ? { lambda: options.lambda } : false,
    ...(options.backend === undefined ? {} : { backend: options.backend }),
  });
  const trainA = subspaceTask(n, inputsA, outputsA, noise);
  const trainB = subspaceTask(n, inputsB, outputsB, noise);
  const cleanA = subspaceTask(n, inputsA, outputsA, 0);
  const cleanB = subspaceTask(n, inputsB, outputsB, 0);
  await consolidator.train(trainA, { steps });
  const lossAAfterA = consolidator.evaluate(cleanA, 512);
  await consolidator.train(trainB, { steps });
  return { lossAAfterA, lossAAfterB: consolidator.evaluate(cleanA, 512), lossBAfterB: consolidator.evaluate(cleanB, 512) };
}

/** x = P z (z ~ N(0, I_k)), target = 3·z₀·o₀ + 2·z₁·o₁ (+ noise). */
function subspaceTask(n: number, basis: Float64Array[], outputs: Float64Array[], noise: number): ConsolidationTask {
  const z = new Float64Array(basis.length);
  return {
    inFeatures: n,
    outFeatures: n,
    sample(rng: SeededRng, input: Float32Array, target: Float32Array) {
      for (let j = 0; j < z.length; j++) z[j] = rng.normal();
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < z.length; j++) s += ((basis[j] as Float64Array)[i] as number) * (z[j] as number);
        input[i] = s;
      }
      const c0 = 3 * (z[0] as number);
      const c1 = 2 * (z[1] as number);
      for (let o = 0; o < n; o++) {
        target[o] = c0 * ((outputs[0] as Float64Array)[o] as number) + c1 * ((outputs[1] as Float64Array)[o] as number);
        if (noise > 0) target[o] = (target[o] as number) + noise * rng.normal();
      }
    },
  };
}
