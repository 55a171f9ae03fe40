import { MicroLoraError, loraFromFactors, loraParamCount, type LoraWeights } from '@microlora/core';
import { OnlineLearner, type AdaptOutcome, type LearnerFeedback } from '@microlora/learner';
import { MicroLoraConfigWasm } from './config.js';
import { DEFAULT_LEARNING_RATE } from './feedback.js';
import { decodeCompatJson, encodeCompatJson, type CompatSettings } from './json-format.js';
import { MicroLoraStatsWasm } from './stats.js';
import { DISPOSE } from './dispose.js';

/** A feedback object: an AdaptFeedbackWasm or anything with the same fields. */
export interface AdaptFeedbackLike {
  quality: number;
  learningRate?: number;
  gradient?: Float32Array | undefined;
  logProbGradient?: Float32Array | undefined;
}

/** Marks the constructor call made by fromJson (not part of the public signature). */
const RESTORE = Symbol('MicroLoraWasm.restore');

interface Restore {
  readonly [RESTORE]: true;
  readonly learner: OnlineLearner;
  readonly settings: CompatSettings;
}

function isRestore(value: unknown): value is Restore {
  return typeof value === 'object' && value !== null && RESTORE in value;
}

/**
 * Drop-in for `MicroLoraWasm` of `@ruvector/ruvllm-wasm` 2.0 whose feedback
 * actually teaches the adapter (see the package README):
 * - `apply(input)` returns the LoRA delta s·B(A·input) (plus seeded exploration
 *   noise when `config.exploration` > 0);
 * - `adapt(input, feedback)` queues an exact chain-rule step when the feedback
 *   carries a `gradient`, a policy-gradient step with `logProbGradient`, and a
 *   REINFORCE step from the quality alone when apply() explored this input;
 * - `applyUpdates(lr)` applies the MEAN of the queued steps, each weighted by its
 *   feedback's learningRate / 0.01; `reset()` restores the initial weights.
 * Initial weights are seeded (config.seed); persisted state is validated.
 */
export class MicroLoraWasm {
  readonly #learner: OnlineLearner;
  readonly #settings: CompatSettings;
  /** Reused for every adapt() call (no allocation per event). */
  readonly #feedback: LearnerFeedback = { quality: 0, weight: 1, gradient: undefined, logProbGradient: undefined };

  constructor(config: MicroLoraConfigWasm) {
    if (isRestore(config)) {
      this.#learner = config.learner;
      this.#settings = config.settings;
      return;
    }
    if (!(config instanceof MicroLoraConfigWasm)) {
      throw new MicroLoraError('INVALID_ARGUMENT', 'new MicroLoraWasm(config) needs a MicroLoraConfigWasm');
    }
    this.#settings = { seed: config.seed, exploration: config.exploration, weightDecay: config.weightDecay, initial: { kind: 'seeded' } };
    this.#learner = new OnlineLearner({
      rank: config.rank,
      inFeatures: config.inFeatures,
      outFeatures: config.outFeatures,
      alpha: config.alpha,
      seed: config.seed,
      exploration: config.exploration,
      weightDecay: config.weightDecay,
    });
  }

  /**
   * Restores an adapter saved by toJson() — ours, or `@ruvector/ruvllm-wasm`
   * 2.0's. Everything is validated: garbage or truncated JSON, wrong lengths,
   * non-numbers → CORRUPT_DATA; a rank outside 1–4 → RANK_OUT_OF_RANGE.
   */
  static fromJson(json: string): MicroLoraWasm {
    const { state, settings } = decodeCompatJson(json);
    const initial = loraFromFactors({
      rank: state.rank,
      inFeatures: state.inFeatures,
      outFeatures: state.outFeatures,
      alpha: state.alpha,
      a: state.initialA,
      b: state.initialB,
    });
    const learner = new OnlineLearner({ initial, seed: settings.seed, exploration: settings.exploration, weightDecay: settings.weightDecay });
    learner.importState(state);
    const restore: Restore = { [RESTORE]: true, learner, settings };
    return new MicroLoraWasm(restore as unknown as MicroLoraConfigWasm);
  }

  /** The LoRA delta s·B(A·input) as a new Float32Array (plus exploration noise when enabled). */
  apply(input: Float32Array | readonly number[]): Float32Array {
    return this.#learner.apply(toFloat32('input', input));
  }

  /** Writes the delta into `output` (no allocation); returns it. Extension. */
  applyInto(input: Float32Array, output: Float32Array): Float32Array {
    return this.#learner.applyInto(input, output);
  }

  /**
   * Queues the update taught by one feedback event. Returns what was learnt
   * (extension): 'gradient' | 'policy' | 'exploration', or 'none' when the
   * feedback carried no direction (quality only, and apply() did not explore
   * this input — set config.exploration, or pass a gradient).
   */
  adapt(input: Float32Array | readonly number[], feedback: AdaptFeedbackLike): AdaptOutcome {
    if (typeof feedback !== 'object' || feedback === null) {
      throw new MicroLoraError('INVALID_ARGUMENT', 'adapt(input, feedback) needs an AdaptFeedbackWasm');
    }
    const { quality, gradient, logProbGradient } = feedback;
    const learningRate = feedback.learningRate ?? DEFAULT_LEARNING_RATE;
    if (typeof quality !== 'number' || !Number.isFinite(quality)) {
      throw new MicroLoraError('NON_FINITE', `feedback.quality must be a finite number, got ${String(quality)}`);
    }
    if (typeof learningRate !== 'number' || !Number.isFinite(learningRate) || learningRate < 0) {
      throw new MicroLoraError('OUT_OF_RANGE', `feedback.learningRate must be a finite number ≥ 0, got ${String(learningRate)}`);
    }
    const event = this.#feedback;
    event.quality = Math.min(1, Math.max(0, quality));
    event.weight = learningRate / DEFAULT_LEARNING_RATE;
    event.gradient = gradient;
    event.logProbGradient = logProbGradient;
    try {
      return this.#learner.adapt(toFloat32('input', input), event);
    } finally {
      event.gradient = undefined;
      event.logProbGradient = undefined;
    }
  }

  /** Applies the mean of the queued updates with this learning rate, then clears them. */
  applyUpdates(learningRate: number): void {
    this.#learner.applyUpdates(learningRate);
  }

  /** Back to the initial weights (seeded, or the original's for an imported adapter); statistics cleared. */
  reset(): void {
    this.#learner.reset();
  }

  stats(): MicroLoraStatsWasm {
    const s = this.#learner.stats();
    return new MicroLoraStatsWasm(s.samplesSeen, s.avgQuality, s.memoryBytes, s.paramCount);
  }

  /** Our versioned JSON (rank, alpha, dimensions, weights, pending updates, statistics, settings). */
  toJson(): string {
    return encodeCompatJson(this.#learner.exportState(), {
      ...this.#settings,
      exploration: this.#learner.exploration,
      weightDecay: this.#learner.weightDecay,
    });
  }

  /** Feedback events queued since the last applyUpdates(). */
  pendingUpdates(): number {
    return this.#learner.pendingUpdates;
  }

  getConfig(): MicroLoraConfigWasm {
    const c = new MicroLoraConfigWasm();
    c.rank = this.#learner.rank;
    c.alpha = this.#learner.lora.alpha;
    c.inFeatures = this.#learner.inFeatures;
    c.outFeatures = this.#learner.outFeatures;
    c.seed = this.#settings.seed;
    c.exploration = this.#learner.exploration;
    c.weightDecay = this.#learner.weightDecay;
    return c;
  }

  /** Exploration of quality-only feedback (extension; see MicroLoraConfigWasm.exploration). */
  get exploration(): number {
    return this.#learner.exploration;
  }
  set exploration(value: number) {
    this.#learner.configure({ exploration: value });
  }

  /** The live weights (extension): a LoraWeights for @microlora/* (compress, bank, composer). */
  get weights(): LoraWeights {
    return this.#learner.lora;
  }

  /** The underlying learner (extension): step rule, clipping, exact ‖ΔW‖, state. */
  get learner(): OnlineLearner {
    return this.#learner;
  }

  /** rank × (in + out). */
  get paramCount(): number {
    return loraParamCount(this.#learner.lora);
  }

  /** No-op: nothing to release (kept for wasm-bindgen compatibility). */
  free(): void {}

  /** `[Symbol.dispose]()`: the same as free(). */
  [DISPOSE](): void {
    this.free();
  }
}

/** A Float32Array as is; a plain array of finite numbers converted (the original accepted both). */
function toFloat32(name: string, value: Float32Array | readonly number[]): Float32Array {
  if (value instanceof Float32Array) return value;
  if (Array.isArray(value)) {
    const out = new Float32Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v !== 'number') throw new MicroLoraError('INVALID_ARGUMENT', `${name}[${i}] is not a number`);
      out[i] = v;
    }
    return out;
  }
  throw new MicroLoraError('INVALID_ARGUMENT', `${name} must be a Float32Array (or an array of numbers)`);
}
