import { SeededRng } from '@microlora/core';
import type { SimdOps } from '@microlora/simd';
import { OnlineLearner } from '../online-learner.js';
import type { StepRule } from '../options.js';
import { dot64, orthonormalVectors } from './linear-algebra.js';

export interface LinearFitOptions {
  dimension?: number;
  rank?: number;
  samples?: number;
  /** Default 0.8 (normalized step rule). */
  learningRate?: number;
  stepRule?: StepRule;
  /** Variance explained is measured every `every` samples. Default 250. */
  every?: number;
  seed?: number;
  backend?: SimdOps;
}

export interface LinearFitResult {
  /** [samples seen, variance explained] pairs. */
  curve: [number, number][];
  /** Variance explained after the last sample. */
  final: number;
}

/**
 * Experiment (d): a rank-2 linear target map M = 3·u₁v₁ᵀ + 2·u₂v₂ᵀ (orthonormal
 * u, v) at `dimension`, inputs x ~ N(0, I), feedback `target: M·x` (the
 * squared-error gradient), applyUpdates every sample. Variance explained
 * 1 − ‖ΔW − M‖²_F / ‖M‖²_F is E over x ~ N(0, I), computed exactly from the factors.
 */
export function runLinearFitExperiment(options: LinearFitOptions = {}): LinearFitResult {
  const n = options.dimension ?? 768;
  const samples = options.samples ?? 3000;
  const every = options.every ?? 250;
  const learningRate = options.learningRate ?? 0.8;
  const seed = options.seed ?? 7;
  const rng = new SeededRng(seed);
  const U = orthonormalVectors(rng, n, 2);
  const V = orthonormalVectors(rng, n, 2);
  const sv = [3, 2];
  const learner = new OnlineLearner({
    rank: options.rank ?? 2,
    inFeatures: n,
    outFeatures: n,
    seed,
    ...(options.stepRule === undefined ? {} : { stepRule: options.stepRule }),
    ...(options.backend === undefined ? {} : { backend: options.backend }),
  });
  const x = new Float32Array(n);
  const target = new Float32Array(n);
  const curve: [number, number][] = [];
  const explained = (): number => varianceExplained(learner, U, V, sv);
  for (let t = 1; t <= samples; t++) {
    rng.fillNormal(x);
    const c0 = (sv[0] as number) * dot64(V[0] as Float64Array, x);
    const c1 = (sv[1] as number) * dot64(V[1] as Float64Array, x);
    for (let o = 0; o < n; o++) target[o] = c0 * ((U[0] as Float64Array)[o] as number) + c1 * ((U[1] as Float64Array)[o] as number);
    learner.adapt(x, { target });
    learner.applyUpdates(learningRate);
    if (t % every === 0 || t === samples) curve.push([t, explained()]);
  }
  return { curve, final: (curve[curve.length - 1] as [number, number])[1] };
}

/** 1 − ‖sBA − Σ σ_k u_k v_kᵀ‖²_F / Σ σ_k², from the factors in O(rank·(in + out)). */
function varianceExplained(learner: OnlineLearner, U: Float64Array[], V: Float64Array[], sv: number[]): number {
  const { rank, inFeatures: n, outFeatures: m, a, b, scaling: s } = learner.lora;
  const deltaSq = learner.deltaNorm() ** 2;
  let cross = 0;
  for (let k = 0; k < sv.length; k++) {
    for (let r = 0; r < rank; r++) {
      const bu = dot64(b.subarray(r * m, (r + 1) * m), U[k] as Float64Array);
      const av = dot64(a.subarray(r * n, (r + 1) * n), V[k] as Float64Array);
      cross += (sv[k] as number) * bu * av;
    }
  }
  let targetSq = 0;
  for (const v of sv) targetSq += v * v;
  return 1 - (deltaSq - 2 * s * cross + targetSq) / targetSq;
}
