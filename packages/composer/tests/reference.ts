// Naive float64 references for the tests, written independently of the package
// (no materializeDelta, no testkit) so a bug there cannot hide here.
import { SeededRng, isCompressedLora, loraFromFactors } from '@microlora/core';
import type { CompressedLora, LoraWeights, QuantizedTensor } from '@microlora/core';
import type { ComposeItem } from '@microlora/composer';

export function randomLora(
  seed: number,
  rank: number,
  inFeatures: number,
  outFeatures: number,
  extra: { alpha?: number; layerMask?: bigint } = {},
): LoraWeights {
  const rng = new SeededRng(seed);
  return loraFromFactors({
    rank,
    inFeatures,
    outFeatures,
    a: rng.fillNormal(new Float32Array(rank * inFeatures), 1 / Math.sqrt(inFeatures)),
    b: rng.fillNormal(new Float32Array(rank * outFeatures), 0.3),
    alpha: extra.alpha ?? 2 * rank,
    layerMask: extra.layerMask ?? 1n << BigInt(seed % 64),
  });
}

function dequantized(t: QuantizedTensor): Float64Array {
  return Float64Array.from(t.data, (q, i) => {
    const g = Math.floor(i / t.groupSize);
    return (q - (t.zeroPoints?.[g] ?? 0)) * (t.scales[g] as number);
  });
}

/** ΔW[o][i] = (alpha/rank)·Σ_r Bᵀ[r][o]·A[r][i], out × in row-major, float64. */
export function denseDelta(lora: LoraWeights | CompressedLora): Float64Array {
  const { rank, inFeatures: n, outFeatures: m } = lora;
  const a = isCompressedLora(lora) ? dequantized(lora.a) : lora.a;
  const b = isCompressedLora(lora) ? dequantized(lora.b) : lora.b;
  const s = lora.alpha / rank;
  const out = new Float64Array(m * n);
  for (let o = 0; o < m; o++) {
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let r = 0; r < rank; r++) sum += (b[r * m + o] as number) * (a[r * n + i] as number);
      out[o * n + i] = s * sum;
    }
  }
  return out;
}

/** Σ wᵢ ΔWᵢ in float64. */
export function weightedSum(items: readonly ComposeItem[], weights: readonly number[]): Float64Array {
  const first = items[0]!.lora;
  const out = new Float64Array(first.inFeatures * first.outFeatures);
  items.forEach((item, k) => {
    const d = denseDelta(item.lora);
    for (let j = 0; j < out.length; j++) out[j]! += weights[k]! * d[j]!;
  });
  return out;
}

export function frobenius(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s);
}

/** ‖x − ref‖_F / ‖ref‖_F. */
export function relativeError(x: ArrayLike<number>, ref: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < x.length; i++) d += (x[i]! - ref[i]!) ** 2;
  return Math.sqrt(d) / frobenius(ref);
}

export function snapshotItems(items: readonly ComposeItem[]): string {
  return JSON.stringify(items, (_k, v: unknown) =>
    typeof v === 'bigint' ? `${v}n` : ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v,
  );
}
