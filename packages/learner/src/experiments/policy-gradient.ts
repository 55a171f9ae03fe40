import { SeededRng } from '@microlora/core';
import type { SimdOps } from '@microlora/simd';
import { OnlineLearner } from '../online-learner.js';
import type { StepRule } from '../options.js';

export interface PolicyGradientOptions {
  /** Hidden size. Default 768. */
  dimension?: number;
  /** Classes of the frozen softmax head. Default 10. */
  classes?: number;
  /** Clusters of hidden states, each with its own preferred class. Default 1. */
  clusters?: number;
  rank?: number;
  rounds?: number;
  /** Default 1 (normalized step rule). */
  learningRate?: number;
  stepRule?: StepRule;
  seed?: number;
  backend?: SimdOps;
}

export interface PolicyGradientResult {
  /** P(preferred class) before sampling, per round. */
  preferredProbability: number[];
  /** The adapter's ‖ΔW‖_F at the end. */
  deltaNorm: number;
}

/**
 * Experiment (a): a frozen random softmax head (N(0, 1/d) weights) over hidden
 * states h = μ_k + N(0, 0.3²) from `clusters` clusters; cluster k's user prefers
 * class (3 + 2k) mod classes. Each round: adapt h' = h + Δ(h), sample a class
 * from softmax(W h'), feedback quality 1 if it was the preferred class else 0,
 * with g = ∂ log p(sampled)/∂h' = Wᵀ(e_sampled − p); applyUpdates every round.
 */
export function runPolicyGradientExperiment(options: PolicyGradientOptions = {}): PolicyGradientResult {
  const d = options.dimension ?? 768;
  const classes = options.classes ?? 10;
  const clusters = options.clusters ?? 1;
  const rounds = options.rounds ?? 300;
  const learningRate = options.learningRate ?? 1;
  const seed = options.seed ?? 3;
  const rng = new SeededRng(seed);
  const head = rng.fillNormal(new Float32Array(classes * d), 1 / Math.sqrt(d));
  const means = Array.from({ length: clusters }, () => rng.fillNormal(new Float32Array(d)));
  const preferred = Array.from({ length: clusters }, (_, k) => (3 + 2 * k) % classes);
  const learner = new OnlineLearner({
    rank: options.rank ?? 2,
    inFeatures: d,
    outFeatures: d,
    seed,
    ...(options.stepRule === undefined ? {} : { stepRule: options.stepRule }),
    ...(options.backend === undefined ? {} : { backend: options.backend }),
  });
  const h = new Float32Array(d);
  const adapted = new Float32Array(d);
  const g = new Float32Array(d);
  const p = new Float64Array(classes);
  const preferredProbability: number[] = [];
  for (let t = 0; t < rounds; t++) {
    const k = t % clusters;
    const mu = means[k] as Float32Array;
    for (let i = 0; i < d; i++) h[i] = (mu[i] as number) + 0.3 * rng.normal();
    adapted.set(h);
    learner.applyAdd(h, adapted);
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < classes; c++) {
      let logit = 0;
      for (let i = 0; i < d; i++) logit += (head[c * d + i] as number) * (adapted[i] as number);
      p[c] = logit;
      max = Math.max(max, logit);
    }
    let z = 0;
    for (let c = 0; c < classes; c++) {
      p[c] = Math.exp((p[c] as number) - max);
      z += p[c] as number;
    }
    for (let c = 0; c < classes; c++) p[c] = (p[c] as number) / z;
    let r = rng.next();
    let sampled = 0;
    while (sampled < classes - 1 && r >= (p[sampled] as number)) {
      r -= p[sampled] as number;
      sampled++;
    }
    preferredProbability.push(p[preferred[k] as number] as number);
    for (let i = 0; i < d; i++) {
      let gi = head[sampled * d + i] as number;
      for (let c = 0; c < classes; c++) gi -= (p[c] as number) * (head[c * d + i] as number);
      g[i] = gi;
    }
    learner.adapt(h, { quality: sampled === preferred[k] ? 1 : 0, logProbGradient: g });
    learner.applyUpdates(learningRate);
  }
  return { preferredProbability, deltaNorm: learner.deltaNorm() };
}
