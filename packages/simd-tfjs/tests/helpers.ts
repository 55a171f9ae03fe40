import { SeededRng } from '@microlora/core';
import type { LoraWeights } from '@microlora/core';
import { referenceLoraApply } from '@microlora/simd/conformance';

/** A random adapter (factors uniform in ±1) that need not pass loraFromFactors' checks. */
export function randomLora(rng: SeededRng, rank: number, inFeatures: number, outFeatures: number, alpha = 2 * rank): LoraWeights {
  return {
    rank,
    inFeatures,
    outFeatures,
    alpha,
    scaling: alpha / rank,
    a: rng.fillUniform(new Float32Array(rank * inFeatures), -1, 1),
    b: rng.fillUniform(new Float32Array(rank * outFeatures), -1, 1),
    layerMask: 0xffff_ffff_ffff_ffffn,
  };
}

export function randomF32(rng: SeededRng, n: number): Float32Array {
  return rng.fillUniform(new Float32Array(n), -1, 1);
}

/** y + Σ_rows delta in float64 from the naive reference, and Σ|terms| per output for the tolerance. */
export function batchReference(
  adapters: readonly LoraWeights[],
  index: Int32Array,
  x: Float32Array,
  y: Float32Array,
): { ref: Float64Array; mag: Float64Array } {
  const n = (adapters[0] as LoraWeights).inFeatures;
  const m = (adapters[0] as LoraWeights).outFeatures;
  const ref = Float64Array.from(y);
  const mag = Float64Array.from(y, Math.abs);
  for (let row = 0; row < index.length; row++) {
    const k = index[row] as number;
    if (k < 0) continue;
    const lora = adapters[k] as LoraWeights;
    const xr = x.subarray(row * n, (row + 1) * n);
    const delta = referenceLoraApply(lora, xr);
    // Σ|terms| bound: |s|·Σ_r |b_r[o]|·Σ_i |a_r[i]·x[i]|.
    const hAbs = new Float64Array(lora.rank);
    for (let r = 0; r < lora.rank; r++) {
      for (let i = 0; i < n; i++) hAbs[r] = (hAbs[r] as number) + Math.abs((lora.a[r * n + i] as number) * (xr[i] as number));
    }
    for (let o = 0; o < m; o++) {
      let bound = 0;
      for (let r = 0; r < lora.rank; r++) bound += Math.abs(lora.scaling * (lora.b[r * m + o] as number)) * (hAbs[r] as number);
      ref[row * m + o] = (ref[row * m + o] as number) + (delta[o] as number);
      mag[row * m + o] = (mag[row * m + o] as number) + bound;
    }
  }
  return { ref, mag };
}

/** Max over i of |got − ref| / (1e-5·mag + 1e-6): ≤ 1 passes the conformance tolerance. */
export function worstError(got: ArrayLike<number>, ref: ArrayLike<number>, mag: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const e = Math.abs((got[i] as number) - (ref[i] as number)) / (1e-5 * (mag[i] as number) + 1e-6);
    if (!(e <= worst)) worst = e; // NaN wins
  }
  return worst;
}

export { SeededRng };
