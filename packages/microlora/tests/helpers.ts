import { SeededRng, isMicroLoraError, loraFromFactors, type CompressedLora, type LoraWeights, type QuantizedTensor } from '@microlora/core';

export function randomLora(seed: number, features: number, rank = 2): LoraWeights {
  const rng = new SeededRng(seed);
  return loraFromFactors({
    rank,
    inFeatures: features,
    outFeatures: features,
    a: rng.fillNormal(new Float32Array(rank * features), 0.3),
    b: rng.fillNormal(new Float32Array(rank * features), 0.2),
  });
}

function dequantize(t: QuantizedTensor): Float64Array {
  const out = new Float64Array(t.data.length);
  for (let i = 0; i < out.length; i++) {
    const g = Math.floor(i / t.groupSize);
    out[i] = ((t.data[i] as number) - (t.zeroPoints?.[g] ?? 0)) * (t.scales[g] as number);
  }
  return out;
}

/** ΔW (out × in, float64) of an int8 or f32 adapter, by the documented layout. */
export function delta(l: CompressedLora | LoraWeights): Float64Array {
  const a = 'scheme' in l ? dequantize(l.a) : Float64Array.from(l.a);
  const b = 'scheme' in l ? dequantize(l.b) : Float64Array.from(l.b);
  const n = l.inFeatures;
  const m = l.outFeatures;
  const s = l.alpha / l.rank;
  const out = new Float64Array(m * n);
  for (let r = 0; r < l.rank; r++) {
    for (let o = 0; o < m; o++) {
      const c = s * (b[r * m + o] as number);
      for (let i = 0; i < n; i++) out[o * n + i] = (out[o * n + i] as number) + c * (a[r * n + i] as number);
    }
  }
  return out;
}

export function relativeDistance(x: ArrayLike<number>, ref: ArrayLike<number>): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < ref.length; i++) {
    d += ((x[i] as number) - (ref[i] as number)) ** 2;
    n += (ref[i] as number) ** 2;
  }
  return Math.sqrt(d / (n || 1));
}

/** y = h + ΔW·h in float64. */
export function applyReference(d: Float64Array, h: Float32Array): Float64Array {
  const n = h.length;
  const out = Float64Array.from(h);
  for (let o = 0; o < n; o++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += (d[o * n + i] as number) * (h[i] as number);
    out[o] = (out[o] as number) + s;
  }
  return out;
}

export async function errorCode(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (err) {
    return isMicroLoraError(err) ? err.code : `untyped ${String(err)}`;
  }
  return 'no error';
}

export function syncErrorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return isMicroLoraError(err) ? err.code : `untyped ${String(err)}`;
  }
  return 'no error';
}
