import { MicroLoraError, assertFiniteNumber, assertFloat32Array } from '@microlora/core';
import { DISPOSE } from './dispose.js';

/** The browser API's default learning rate; AdaptFeedbackWasm.learningRate is relative to it. */
export const DEFAULT_LEARNING_RATE = 0.01;

/**
 * Feedback on one output (same constructor and properties as the original).
 * `quality` is clamped to [0, 1] like the original; `learningRate` (default
 * 0.01) is honoured: the event counts learningRate / 0.01 times in the mean
 * that applyUpdates applies. Extensions: `gradient` (∂loss/∂output: an exact
 * chain-rule step) and `logProbGradient` (∂log p/∂output: a policy-gradient
 * step scaled by quality − baseline).
 */
export class AdaptFeedbackWasm {
  #quality = 0.5;
  #learningRate = DEFAULT_LEARNING_RATE;
  #gradient: Float32Array | undefined;
  #logProbGradient: Float32Array | undefined;

  /** @param quality in [0, 1] (clamped); default 0.5 when omitted. */
  constructor(quality?: number) {
    if (quality !== undefined) this.quality = quality;
  }

  get quality(): number {
    return this.#quality;
  }
  set quality(value: number) {
    assertFiniteNumber('quality', value);
    this.#quality = Math.min(1, Math.max(0, value));
  }

  get learningRate(): number {
    return this.#learningRate;
  }
  set learningRate(value: number) {
    assertFiniteNumber('learningRate', value, 0);
    this.#learningRate = value;
  }

  /** ∂loss/∂output (length outFeatures), or undefined. */
  get gradient(): Float32Array | undefined {
    return this.#gradient;
  }
  set gradient(value: Float32Array | undefined) {
    if (value !== undefined) assertFloat32Array('gradient', value);
    if (value !== undefined && this.#logProbGradient !== undefined) throw bothGradients();
    this.#gradient = value;
  }

  /** ∂log p(what was produced)/∂output (length outFeatures), or undefined. */
  get logProbGradient(): Float32Array | undefined {
    return this.#logProbGradient;
  }
  set logProbGradient(value: Float32Array | undefined) {
    if (value !== undefined) assertFloat32Array('logProbGradient', value);
    if (value !== undefined && this.#gradient !== undefined) throw bothGradients();
    this.#logProbGradient = value;
  }

  /** No-op (wasm-bindgen compatibility). */
  free(): void {}

  /** `[Symbol.dispose]()`: the same as free(). */
  [DISPOSE](): void {
    this.free();
  }
}

function bothGradients(): MicroLoraError {
  return new MicroLoraError('INVALID_ARGUMENT', 'set either gradient (a loss gradient) or logProbGradient (a policy gradient), not both');
}
