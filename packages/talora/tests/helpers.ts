import {
  ManualClock,
  SeededRng,
  isMicroLoraError,
  loraFromFactors,
  materializeDelta,
  type CompressedLora,
  type LoraWeights,
  type PatternInput,
  type QuantizedTensor,
  type TimestepRange,
} from '@microlora/core';

export const DIM = 16;
export const FEATURES = 8;

export function randomLora(seed: number, rank = 2, features = FEATURES): LoraWeights {
  const rng = new SeededRng(seed);
  return loraFromFactors({
    rank,
    inFeatures: features,
    outFeatures: features,
    a: rng.fillNormal(new Float32Array(rank * features), 0.3),
    b: rng.fillNormal(new Float32Array(rank * features), 0.2),
  });
}

export function unit(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  return v.map((x) => x / Math.sqrt(s));
}

export function randomUnit(rng: SeededRng, dim = DIM): Float32Array {
  return unit(rng.fillNormal(new Float32Array(dim)));
}

export function pattern(
  id: string,
  embedding: Float32Array,
  timestepRange: TimestepRange,
  seed: number,
  extra: Partial<PatternInput> = {},
): PatternInput {
  return { id, embedding, lora: randomLora(seed), timestepRange, ...extra };
}

/** Decodes one int8 factor by the documented rule (q − zeroPoint)·scale, in float64. */
function dequantize(t: QuantizedTensor): Float64Array {
  const out = new Float64Array(t.data.length);
  for (let i = 0; i < out.length; i++) {
    const g = Math.floor(i / t.groupSize);
    out[i] = ((t.data[i] as number) - (t.zeroPoints?.[g] ?? 0)) * (t.scales[g] as number);
  }
  return out;
}

/** ΔW of an int8 adapter, float64, computed independently of the packages under test. */
export function compressedDelta(c: CompressedLora): Float64Array {
  const a = dequantize(c.a);
  const b = dequantize(c.b);
  const n = c.inFeatures;
  const m = c.outFeatures;
  const s = c.alpha / c.rank;
  const out = new Float64Array(m * n);
  for (let r = 0; r < c.rank; r++) {
    for (let o = 0; o < m; o++) {
      const coeff = s * (b[r * m + o] as number);
      for (let i = 0; i < n; i++) out[o * n + i] = (out[o * n + i] as number) + coeff * (a[r * n + i] as number);
    }
  }
  return out;
}

/** Σ w·ΔW over (weight, delta) pairs. */
export function weightedSum(terms: readonly [number, Float64Array][], size = FEATURES * FEATURES): Float64Array {
  const out = new Float64Array(size);
  for (const [w, d] of terms) for (let i = 0; i < size; i++) out[i] = (out[i] as number) + w * (d[i] as number);
  return out;
}

/** ‖x − ref‖ / ‖ref‖ (‖x‖ when ref is 0). */
export function relativeError(lora: LoraWeights, ref: Float64Array): number {
  const x = materializeDelta(lora);
  let d = 0;
  let n = 0;
  for (let i = 0; i < ref.length; i++) {
    d += ((x[i] as number) - (ref[i] as number)) ** 2;
    n += (ref[i] as number) ** 2;
  }
  return n === 0 ? Math.sqrt(d) : Math.sqrt(d / n);
}

/** The MicroLoraError code thrown by fn (sync or async), or a description of what else happened. */
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

export function clock(): ManualClock {
  return new ManualClock(1_700_000_000_000);
}
