import {
  MicroLoraError,
  RANK_LIMIT,
  assertFiniteNumber,
  assertInteger,
  assertLoraShape,
  type LoraShape,
  type LoraWeights,
  type Seed,
} from '@microlora/core';
import type { SimdOps } from '@microlora/simd';

/**
 * How one feedback event's gradient becomes a step.
 * - `normalized` (default): the exact gradient divided by the adapter's curvature
 *   along it, s²(‖Ax‖²‖g‖² + ‖x‖²‖Bᵀg‖²)/‖g‖² (normalised LMS). With learning
 *   rate η the adapter's output moves by −η·g to first order, whatever the scale
 *   of the hidden states or of A and B: η is a fraction (stable for η < 2 on a
 *   squared error; 0.1–1 are sensible).
 * - `sgd`: plain stochastic gradient descent, θ −= η·∇θ (η depends on the data's scale).
 */
export type StepRule = 'normalized' | 'sgd';

export const STEP_RULES: readonly StepRule[] = ['normalized', 'sgd'];

export interface OnlineLearnerOptions {
  /** Required unless `initial` is given (then its shape is used). */
  rank?: number;
  inFeatures?: number;
  outFeatures?: number;
  /** Default 2·rank (scaling 2). */
  alpha?: number;
  /** Seed of A's initialisation and of the exploration noise. Default 1. */
  seed?: Seed;
  /** Half-width of A's uniform init; default 1/√inFeatures. */
  initBound?: number;
  /**
   * Start from these weights (copied) instead of a seeded init; reset() returns
   * to them. Its shape and alpha override rank/inFeatures/outFeatures/alpha.
   */
  initial?: LoraWeights;
  /** Default 'normalized'. */
  stepRule?: StepRule;
  /**
   * Largest Frobenius norm of one event's step direction over (A, B), before the
   * learning rate; longer ones are scaled down (counted in stats().clippedEvents).
   * Default Infinity (no clipping).
   */
  clipNorm?: number;
  /** L2 weight decay of both factors per applyUpdates: θ ← (1 − η·decay)·θ. Default 0. */
  weightDecay?: number;
  /**
   * Exploration for quality-only feedback: apply() adds seeded ±σ noise to each
   * output with σ = exploration × RMS(input), and remembers it for the feedback.
   * Default 0 (apply is deterministic; quality-only feedback then cannot teach
   * a direction and is only counted).
   */
  exploration?: number;
  /** Explored apply() calls remembered for pairing with feedback. Default 16. */
  explorationMemory?: number;
  /** Decay of the running quality baseline (exponential mean, bias-corrected). Default 0.9. */
  baselineDecay?: number;
  /** SIMD backend of the arithmetic. Default getBackend() at construction ("wasm" once registered). */
  backend?: SimdOps;
}

export interface ResolvedLearnerOptions {
  rank: number;
  inFeatures: number;
  outFeatures: number;
  alpha: number;
  seed: Seed;
  initBound: number;
  stepRule: StepRule;
  clipNorm: number;
  weightDecay: number;
  exploration: number;
  explorationMemory: number;
  baselineDecay: number;
}

export const DEFAULT_EXPLORATION_MEMORY = 16;
export const DEFAULT_BASELINE_DECAY = 0.9;
export const EXPLORATION_MEMORY_LIMIT = 4096;

function invalid(message: string, details: Record<string, unknown> = {}): MicroLoraError {
  return new MicroLoraError('INVALID_ARGUMENT', message, { details });
}

/** Checks a step rule name. */
export function assertStepRule(value: unknown): asserts value is StepRule {
  if (value !== 'normalized' && value !== 'sgd') {
    throw invalid(`stepRule must be 'normalized' or 'sgd', got ${String(value)}`, { stepRule: value });
  }
}

/** Validates learner options and fills defaults. */
export function resolveLearnerOptions(options: OnlineLearnerOptions): ResolvedLearnerOptions {
  if (typeof options !== 'object' || options === null) {
    throw invalid('OnlineLearner options must be an object { rank, inFeatures, outFeatures, … }');
  }
  const initial = options.initial;
  if (initial !== undefined && (typeof initial !== 'object' || initial === null)) {
    throw invalid('initial must be LoraWeights (see loraFromFactors in @microlora/core)');
  }
  const shape = { rank: initial?.rank ?? options.rank, inFeatures: initial?.inFeatures ?? options.inFeatures, outFeatures: initial?.outFeatures ?? options.outFeatures };
  assertLoraShape(shape as LoraShape, RANK_LIMIT);
  const { rank, inFeatures, outFeatures } = shape as LoraShape;
  const alpha = initial?.alpha ?? options.alpha ?? 2 * rank;
  assertFiniteNumber('alpha', alpha);
  if (alpha === 0) throw new MicroLoraError('OUT_OF_RANGE', 'alpha must not be 0 (the adapter would never change its output)');
  const seed = options.seed ?? 1;
  if (typeof seed !== 'number' && typeof seed !== 'string') throw invalid(`seed must be an integer or a string, got ${typeof seed}`);
  if (typeof seed === 'number') assertInteger('seed', seed, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const initBound = options.initBound ?? 1 / Math.sqrt(inFeatures);
  assertFiniteNumber('initBound', initBound, 0);
  const stepRule = options.stepRule ?? 'normalized';
  assertStepRule(stepRule);
  const clipNorm = options.clipNorm ?? Number.POSITIVE_INFINITY;
  if (typeof clipNorm !== 'number' || Number.isNaN(clipNorm) || clipNorm <= 0) {
    throw new MicroLoraError('OUT_OF_RANGE', `clipNorm must be a number > 0 (Infinity disables clipping), got ${String(clipNorm)}`, {
      details: { clipNorm },
    });
  }
  const weightDecay = options.weightDecay ?? 0;
  assertFiniteNumber('weightDecay', weightDecay, 0);
  const exploration = options.exploration ?? 0;
  assertFiniteNumber('exploration', exploration, 0, 1e6);
  const explorationMemory = options.explorationMemory ?? DEFAULT_EXPLORATION_MEMORY;
  assertInteger('explorationMemory', explorationMemory, 1, EXPLORATION_MEMORY_LIMIT);
  const baselineDecay = options.baselineDecay ?? DEFAULT_BASELINE_DECAY;
  assertFiniteNumber('baselineDecay', baselineDecay, 0, 1);
  if (baselineDecay === 1) throw new MicroLoraError('OUT_OF_RANGE', 'baselineDecay must be below 1 (1 would never move the baseline)');
  return {
    rank,
    inFeatures,
    outFeatures,
    alpha,
    seed,
    initBound,
    stepRule,
    clipNorm,
    weightDecay,
    exploration,
    explorationMemory,
    baselineDecay,
  };
}
