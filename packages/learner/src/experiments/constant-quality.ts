import { SeededRng } from '@microlora/core';
import type { SimdOps } from '@microlora/simd';
import { OnlineLearner } from '../online-learner.js';

export interface ConstantQualityOptions {
  dimension?: number;
  rounds?: number;
  exploration?: number;
  learningRate?: number;
  seed?: number;
  backend?: SimdOps;
}

export interface ConstantQualityResult {
  /** ‖ΔW‖_F sampled every rounds/20 rounds. */
  deltaNorms: number[];
  /** Whether every weight stayed finite. */
  finite: boolean;
}

/**
 * Experiment (c): quality 1.0 on every round (with exploration on, so that each
 * feedback is learnable). The advantage against the running baseline goes to
 * zero, so the weights must settle instead of growing as the original's rule does.
 */
export function runConstantQualityExperiment(options: ConstantQualityOptions = {}): ConstantQualityResult {
  const d = options.dimension ?? 768;
  const rounds = options.rounds ?? 10_000;
  const learningRate = options.learningRate ?? 0.01;
  const rng = new SeededRng(options.seed ?? 9);
  const learner = new OnlineLearner({
    rank: 2,
    inFeatures: d,
    outFeatures: d,
    seed: options.seed ?? 9,
    exploration: options.exploration ?? 0.1,
    ...(options.backend === undefined ? {} : { backend: options.backend }),
  });
  const mu = rng.fillNormal(new Float32Array(d));
  const x = new Float32Array(d);
  const y = new Float32Array(d);
  const deltaNorms: number[] = [];
  const every = Math.max(1, Math.floor(rounds / 20));
  for (let t = 1; t <= rounds; t++) {
    for (let i = 0; i < d; i++) x[i] = (mu[i] as number) + 0.5 * rng.normal();
    learner.applyInto(x, y);
    learner.adapt(x, { quality: 1 });
    learner.applyUpdates(learningRate);
    if (t % every === 0) deltaNorms.push(learner.deltaNorm());
  }
  let finite = true;
  for (const v of learner.lora.a) if (!Number.isFinite(v)) finite = false;
  for (const v of learner.lora.b) if (!Number.isFinite(v)) finite = false;
  return { deltaNorms, finite };
}
