import type { CompressedLora, LoraWeights } from '@microlora/core';
import type { SimdOps } from '@microlora/simd';

/**
 * One adapter to compose and its retrieval score. A bank's `RetrievedPattern`
 * (`{ lora: CompressedLora, score, … }`) is directly a ComposeItem.
 */
export interface ComposeItem {
  readonly lora: CompressedLora | LoraWeights;
  readonly score: number;
}

/** Options every strategy understands. Strategies extend this with their own fields. */
export interface ComposeOptions {
  /**
   * Shape of the composite. Required when `items` is empty (the result is then a
   * rank-1 zero adapter of this shape); when items are given it must match them.
   */
  readonly inFeatures?: number;
  readonly outFeatures?: number;
  /**
   * SIMD backend that decompresses int8 inputs (passed to `decompressInto`). Default: the
   * backend that arena buffers (`createComposeBuffers({ backend })`) were created for, else
   * none (the built-in JS kernel).
   */
  readonly backend?: SimdOps;
}

/** weights = score / Σ score. Scores must be ≥ 0; if they are all 0 the weights are uniform. */
export type WeightedAverageOptions = ComposeOptions;

/** weights = softmax(score / temperature). */
export interface AttentionOptions extends ComposeOptions {
  /** Finite and > 0. Default 1. Small values approach top-1, large ones approach uniform. */
  readonly temperature?: number;
}

/** Equal weights 1/k over the k best-scored items (ties: the earlier item wins); the rest get 0. */
export interface TopKOptions extends ComposeOptions {
  /** Integer ≥ 1. Default 1 (the reference document's "top-1"). */
  readonly k?: number;
}

/** weights = λ for every item, not normalised: ΔW' = λ·Σ ΔWᵢ. Scores are ignored (but validated). */
export interface TaskArithmeticOptions extends ComposeOptions {
  /** Any finite number (negative λ subtracts the adapters). Default 1. */
  readonly lambda?: number;
}

/** Same weights as weighted-average, applied to A and B separately (approximate; legacy). */
export type FactorAverageOptions = ComposeOptions;

/**
 * Strategy name → its options. Third parties add their strategies with
 * `declare module '@microlora/composer' { interface StrategyOptionsMap { 'my-strategy': MyOptions } }`,
 * which types `getStrategy('my-strategy')` and checks `registerStrategy`.
 */
export interface StrategyOptionsMap {
  'weighted-average': WeightedAverageOptions;
  attention: AttentionOptions;
  'top-k': TopKOptions;
  'task-arithmetic': TaskArithmeticOptions;
  'factor-average': FactorAverageOptions;
}

export type StrategyName = keyof StrategyOptionsMap;

/** The options type of a strategy name: its map entry, or plain ComposeOptions for unknown names. */
export type OptionsFor<N extends string> = N extends keyof StrategyOptionsMap ? StrategyOptionsMap[N] : ComposeOptions;

/**
 * Preallocated buffers a composite is written into (see `createComposeBuffers`).
 * The result's `a`/`b` are views of these buffers, valid until the next compose
 * into the same target. A target must not share memory with the inputs.
 */
export interface ComposeTarget {
  /** Largest composite rank the buffers hold (the stacked rank Σ rᵢ for exact strategies). */
  readonly maxRank: number;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** maxRank × inFeatures. */
  readonly a: Float32Array;
  /** maxRank × outFeatures (Bᵀ rows). */
  readonly b: Float32Array;
  /** Scratch for per-item weights; composing more items than its length allocates a temporary. */
  readonly weights: Float64Array;
}

interface StrategyBase<O extends ComposeOptions> {
  /** Registry name, e.g. 'weighted-average'. */
  readonly name: string;
  /** One line for docs and error messages. */
  readonly description?: string;
  /**
   * Composes `items` into one new adapter (fresh buffers). Throws MicroLoraError:
   * DIMENSION_MISMATCH for mixed in/out features, NON_FINITE for a non-finite score,
   * INVALID_ARGUMENT for empty items without a shape in the options.
   */
  compose(items: readonly ComposeItem[], options?: O): LoraWeights;
  /**
   * Like compose, writing into preallocated buffers: allocates nothing but the
   * result object and its views. CAPACITY_EXCEEDED if the composite needs more rank
   * than `target.maxRank`.
   */
  composeInto?(items: readonly ComposeItem[], target: ComposeTarget, options?: O): LoraWeights;
}

/**
 * A strategy whose composite satisfies ΔW' = Σ wᵢ ΔWᵢ exactly (up to float32
 * rounding), with wᵢ = `weights(items, options)[i]`.
 */
export interface ExactCompositionStrategy<O extends ComposeOptions = ComposeOptions> extends StrategyBase<O> {
  readonly exact: true;
  /** The per-item weights wᵢ (length items.length). The conformance kit checks the composite against them. */
  weights(items: readonly ComposeItem[], options?: O): Float64Array;
}

/** A strategy that only approximates Σ wᵢ ΔWᵢ (e.g. factor-average). */
export interface ApproximateCompositionStrategy<O extends ComposeOptions = ComposeOptions> extends StrategyBase<O> {
  readonly exact: false;
  /** The weights the strategy intends, if it has such a notion (lets callers measure its error). */
  weights?(items: readonly ComposeItem[], options?: O): Float64Array;
}

/**
 * The plugin contract: a plain object with a unique `name`. Exact strategies must
 * expose `weights`; `composeInto` is optional but recommended for hot paths.
 */
export type CompositionStrategy<O extends ComposeOptions = ComposeOptions> =
  | ExactCompositionStrategy<O>
  | ApproximateCompositionStrategy<O>;
