import { SeededRng } from '@microlora/core';
import type { SimdOps } from '@microlora/simd';
import { OnlineLearner } from '../online-learner.js';

export interface QualityOnlyOptions {
  dimension?: number;
  rank?: number;
  rounds?: number;
  /** Default 0.1. */
  exploration?: number;
  /** Default 0.01 (the browser API's default). */
  learningRate?: number;
  /** Report 0.5 − 0.5·cos instead: the adapter must learn to move away from u. */
  inverted?: boolean;
  seed?: number;
  backend?: SimdOps;
}

export interface QualityOnlyResult {
  /** 0.5 + 0.5·cos(apply(x), u) per round (the true, non-inverted quality). */
  quality: number[];
  deltaNorm: number;
}

/**
 * Experiment (b): no gradient, only a quality. Inputs x = μ + N(0, 0.5²) around
 * a fixed μ ~ N(0, I); quality = 0.5 + 0.5·cos(apply(x), u) for a fixed unit u
 * (apply() includes the exploration noise, as a user would see it). Each round:
 * apply, judge, adapt(quality), applyUpdates(learningRate).
 */
export function runQualityOnlyExperiment(options: QualityOnlyOptions = {}): QualityOnlyResult {
  const d = options.dimension ?? 64;
  const rounds = options.rounds ?? 1000;
  const learningRate = options.learningRate ?? 0.01;
  const seed = options.seed ?? 5;
  const rng = new SeededRng(seed);
  const mu = rng.fillNormal(new Float32Array(d));
  const u = rng.fillNormal(new Float32Array(d));
  let norm = 0;
  for (let i = 0; i < d; i++) norm += (u[i] as number) ** 2;
  norm = Math.sqrt(norm);
  for (let i = 0; i < d; i++) u[i] = (u[i] as number) / norm;
  const learner = new OnlineLearner({
    rank: options.rank ?? 2,
    inFeatures: d,
    outFeatures: d,
    seed,
    exploration: options.exploration ?? 0.1,
    ...(options.backend === undefined ? {} : { backend: options.backend }),
  });
  const x = new Float32Array(d);
  const y = new Float32Array(d);
  const quality: number[] = [];
  for (let t = 0; t < rounds; t++) {
    for (let i = 0; i < d; i++) x[i] = (mu[i] as number) + 0.5 * rng.normal();
    learner.applyInto(x, y);
    let dot = 0;
    let yy = 0;
    for (let i = 0; i < d; i++) {
      dot += (y[i] as number) * (u[i] as number);
      yy += (y[i] as number) ** 2;
    }
    const cos = yy > 0 ? dot / Math.sqrt(yy) : 0;
    quality.push(0.5 + 0.5 * cos);
    learner.adapt(x, { quality: options.inverted === true ? 0.5 - 0.5 * cos : 0.5 + 0.5 * cos });
    learner.applyUpdates(learningRate);
  }
  return { quality, deltaNorm: learner.deltaNorm() };
}
