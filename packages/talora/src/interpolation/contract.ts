import type { BankLayout } from '../layout.js';

/** Options every interpolation strategy understands (none yet); strategies extend this. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface InterpolationOptions {}

/** Discrete has no options: the bank holding t gets weight 1. */
export type DiscreteOptions = InterpolationOptions;

/** Linear has no options: the two nearest bank centres share the weight. */
export type LinearOptions = InterpolationOptions;

export interface SoftBoundaryOptions extends InterpolationOptions {
  /** Finite and > 0. Default 0.1 (with three equal banks a neighbour gets exp(−1/0.3) ≈ 3.6 % of the centre's weight). */
  readonly temperature?: number;
}

/**
 * Interpolation name → its options. Third parties add theirs with
 * `declare module '@microlora/talora' { interface InterpolationOptionsMap { 'mine': MyOptions } }`.
 */
export interface InterpolationOptionsMap {
  discrete: DiscreteOptions;
  linear: LinearOptions;
  'soft-boundary': SoftBoundaryOptions;
}

export type InterpolationName = keyof InterpolationOptionsMap;

/** The options type of an interpolation name: its map entry, or plain InterpolationOptions. */
export type InterpolationOptionsFor<N extends string> = N extends keyof InterpolationOptionsMap
  ? InterpolationOptionsMap[N]
  : InterpolationOptions;

/**
 * The plugin contract: how much each timestep bank contributes at timestep t.
 * The manager composes ΔW = Σ_b β_b · ΔW_b, where ΔW_b is the composer's
 * composite of what bank b retrieved (zero for an empty result) and β = the
 * weights written by `bankWeightsInto`. They must form a convex combination
 * (finite, ≥ 0, summing to 1); banks with β_b = 0 are not searched.
 */
export interface InterpolationStrategy<O extends InterpolationOptions = InterpolationOptions> {
  /** Registry name, e.g. 'soft-boundary'. */
  readonly name: string;
  /** One line for docs and error messages. */
  readonly description?: string;
  /** Patterns retrieved from each searched bank unless the manager is given `k`. */
  readonly defaultK: number;
  /**
   * Checks the options once, when a manager is configured; throw a MicroLoraError
   * naming the bad value. Optional.
   */
  validateOptions?(options: O | undefined): void;
  /**
   * Writes β_b for every bank into out[0 … layout.bankCount) (out may be longer and
   * holds stale values). t is already validated to lie in [0, 1]. Called on every
   * request: never allocate.
   */
  bankWeightsInto(t: number, layout: BankLayout, options: O | undefined, out: Float64Array): void;
}
