import * as tf from '@tensorflow/tfjs-core';
import { MicroLoraError, materializeDelta, type LoraWeights } from '@microlora/core';
import type { SimdOps } from '@microlora/simd';

/** The two frozen / periodic tiers of the three-tier hierarchy. */
export interface FrozenTiers {
  /** Tier 1: the QLoRA base delta (rank 32–64 in the reference; frozen). */
  qlora?: LoraWeights | null;
  /** Tier 2: the BaseLoRA consolidated in the background (rank 8–16; e.g. BaseLoraConsolidator). */
  baseLora?: LoraWeights | null;
}

/**
 * A dense layer y = x·W' + b with the reference document's three LoRA tiers,
 *   W' = W_base + ΔW_qlora + ΔW_base_lora + α·ΔW_micro,
 * every tier optional. The frozen tiers change rarely, so they are folded into
 * one effective tfjs weight when set (exact, and a forward pays one matMul); the
 * per-request micro tier is added per row through SimdOps.loraApplyBatch, so a
 * batch of requests with different adapters (and α) runs in one call.
 * Weights are [in, out] (x·W); LoRA deltas follow the library's layout
 * (ΔW x = s·B(A x), i.e. y += s·B(A x) for a row x).
 */
export class LoraDense {
  readonly name: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  private readonly base: Float32Array;
  private readonly bias: tf.Tensor1D;
  private effective: tf.Tensor2D;
  private tiersSet: FrozenTiers = {};

  /** weight is row-major [in, out]; bias has length out. Both are copied. */
  constructor(name: string, weight: Float32Array, bias: Float32Array, inFeatures: number, outFeatures: number) {
    if (weight.length !== inFeatures * outFeatures || bias.length !== outFeatures) {
      throw new MicroLoraError('DIMENSION_MISMATCH', `layer ${name}: weight must be ${inFeatures}×${outFeatures} and bias ${outFeatures} long`);
    }
    this.name = name;
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.base = Float32Array.from(weight);
    this.bias = tf.keep(tf.tensor1d(bias));
    this.effective = tf.keep(tf.tensor2d(this.base, [inFeatures, outFeatures]));
  }

  /** The frozen tiers currently folded in. */
  get tiers(): Readonly<FrozenTiers> {
    return this.tiersSet;
  }

  /**
   * Sets (or, with null, removes) tier 1 and/or tier 2 and rebuilds the effective
   * weight W_base + ΔW_qlora + ΔW_base_lora. Tiers not named stay as they were.
   */
  setTiers(tiers: FrozenTiers): void {
    const next: FrozenTiers = { ...this.tiersSet, ...tiers };
    const w = Float32Array.from(this.base);
    for (const key of ['qlora', 'baseLora'] as const) {
      const lora = next[key];
      if (lora == null) continue;
      this.checkShape(lora, key);
      // materializeDelta gives ΔW as out × in row-major; W is [in, out].
      const delta = materializeDelta(lora);
      for (let o = 0; o < this.outFeatures; o++) {
        for (let i = 0; i < this.inFeatures; i++) w[i * this.outFeatures + o] = (w[i * this.outFeatures + o] as number) + (delta[o * this.inFeatures + i] as number);
      }
    }
    const old = this.effective;
    this.effective = tf.keep(tf.tensor2d(w, [this.inFeatures, this.outFeatures]));
    old.dispose();
    this.tiersSet = next;
  }

  /** x·(W_base + frozen tiers) + b for a [rows, in] tensor. */
  applyFrozen(x: tf.Tensor2D): tf.Tensor2D {
    return tf.fused.matMul({ a: x, b: this.effective, bias: this.bias }) as tf.Tensor2D;
  }

  /**
   * y[r] += α_k·ΔW_micro,k · x[r] with k = adapterIndex[r] (negative: no adapter),
   * through `simd.loraApplyBatch`. α is folded into each adapter's scaling.
   */
  applyMicro(simd: SimdOps, adapters: readonly LoraWeights[], alphas: readonly number[], adapterIndex: Int32Array, x: Float32Array, y: Float32Array, rows: number): void {
    if (adapters.length === 0) return;
    const scaled = adapters.map((lora, k) => {
      this.checkShape(lora, `micro adapter ${k}`);
      const alpha = alphas[k] ?? 1;
      if (!Number.isFinite(alpha)) throw new MicroLoraError('NON_FINITE', `alpha of request ${k} is ${alpha}`);
      return alpha === 1 ? lora : { ...lora, alpha: lora.alpha * alpha, scaling: lora.scaling * alpha };
    });
    simd.loraApplyBatch(scaled, adapterIndex, x, y, rows);
  }

  private checkShape(lora: LoraWeights, what: string): void {
    if (lora.inFeatures !== this.inFeatures || lora.outFeatures !== this.outFeatures) {
      throw new MicroLoraError(
        'DIMENSION_MISMATCH',
        `${what} of layer ${this.name} is ${lora.inFeatures}→${lora.outFeatures}; the layer is ${this.inFeatures}→${this.outFeatures}`,
        { details: { expected: [this.inFeatures, this.outFeatures], got: [lora.inFeatures, lora.outFeatures] } },
      );
    }
  }

  dispose(): void {
    this.bias.dispose();
    this.effective.dispose();
  }
}
