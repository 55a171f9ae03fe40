import { MICRO_RANK_MAX, MicroLoraError, assertDimension, assertFiniteNumber, assertInteger } from '@microlora/core';
import { DISPOSE } from './dispose.js';

/** Defaults of the browser API (rank 2, alpha 4, 768 × 768). */
export const DEFAULT_RANK = 2;
export const DEFAULT_ALPHA = 4;
export const DEFAULT_FEATURES = 768;
/** Seed of A's initialisation and of the exploration noise unless one is set. */
export const DEFAULT_SEED = 0x5eed;

/**
 * Configuration of a MicroLoraWasm (same properties and defaults as
 * `@ruvector/ruvllm-wasm`), plus `exploration`, `seed` and `weightDecay`.
 * Setters validate: rank is clamped to 1–4 like the original (a non-number
 * throws), dimensions must be integers in [1, 65536], alpha finite and non-zero.
 */
export class MicroLoraConfigWasm {
  #rank = DEFAULT_RANK;
  #alpha = DEFAULT_ALPHA;
  #inFeatures = DEFAULT_FEATURES;
  #outFeatures = DEFAULT_FEATURES;
  #exploration = 0;
  #seed = DEFAULT_SEED;
  #weightDecay = 0;

  get rank(): number {
    return this.#rank;
  }
  /** Clamped to [1, 4] (fractions truncated), as in the original. */
  set rank(value: number) {
    assertFiniteNumber('rank', value);
    this.#rank = Math.min(MICRO_RANK_MAX, Math.max(1, Math.trunc(value)));
  }

  get alpha(): number {
    return this.#alpha;
  }
  set alpha(value: number) {
    assertFiniteNumber('alpha', value);
    if (value === 0) throw new MicroLoraError('OUT_OF_RANGE', 'alpha must not be 0 (the adapter would never change its output)');
    this.#alpha = value;
  }

  get inFeatures(): number {
    return this.#inFeatures;
  }
  set inFeatures(value: number) {
    assertDimension('inFeatures', value);
    this.#inFeatures = value;
  }

  get outFeatures(): number {
    return this.#outFeatures;
  }
  set outFeatures(value: number) {
    assertDimension('outFeatures', value);
    this.#outFeatures = value;
  }

  /**
   * Exploration for quality-only feedback (extension): apply() adds seeded ±σ
   * noise with σ = exploration × RMS(input) and adapt() learns from whether the
   * quality beat its running average. 0 (default) keeps apply() deterministic,
   * and then quality-only feedback cannot change the weights. 0.1 is a good start.
   */
  get exploration(): number {
    return this.#exploration;
  }
  set exploration(value: number) {
    assertFiniteNumber('exploration', value, 0, 1e6);
    this.#exploration = value;
  }

  /** Seed of the initialisation and the exploration noise (extension). */
  get seed(): number {
    return this.#seed;
  }
  set seed(value: number) {
    assertInteger('seed', value, 0, 0xffff_ffff);
    this.#seed = value;
  }

  /** L2 weight decay per applyUpdates (extension): θ ← (1 − lr·decay)·θ. Default 0. */
  get weightDecay(): number {
    return this.#weightDecay;
  }
  set weightDecay(value: number) {
    assertFiniteNumber('weightDecay', value, 0);
    this.#weightDecay = value;
  }

  /** Bytes of the two factors: (inFeatures·rank + rank·outFeatures) × 4 (the original's formula). */
  memoryBytes(): number {
    return (this.#inFeatures * this.#rank + this.#rank * this.#outFeatures) * 4;
  }

  /** alpha / rank. */
  computeScaling(): number {
    return this.#alpha / this.#rank;
  }

  /** A copy. */
  clone(): MicroLoraConfigWasm {
    const c = new MicroLoraConfigWasm();
    c.#rank = this.#rank;
    c.#alpha = this.#alpha;
    c.#inFeatures = this.#inFeatures;
    c.#outFeatures = this.#outFeatures;
    c.#exploration = this.#exploration;
    c.#seed = this.#seed;
    c.#weightDecay = this.#weightDecay;
    return c;
  }

  /** No-op: there is no WASM memory to release (kept for wasm-bindgen compatibility). */
  free(): void {}

  /** `[Symbol.dispose]()`: the same as free(). */
  [DISPOSE](): void {
    this.free();
  }
}
