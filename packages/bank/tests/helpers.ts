import {
  SeededRng,
  createLora,
  isMicroLoraError,
  loraFromFactors,
  type LoraWeights,
  type PatternInput,
} from '@microlora/core';

export const DIM = 16;

export function randomLora(seed: number, rank = 2, features = 8): LoraWeights {
  const rng = new SeededRng(seed);
  const base = createLora({ rank, inFeatures: features, outFeatures: features, seed });
  return loraFromFactors({ ...base, b: rng.fillNormal(new Float32Array(rank * features), 0.1) });
}

export function randomUnit(rng: SeededRng, dim = DIM): Float32Array {
  const v = rng.fillNormal(new Float32Array(dim));
  let s = 0;
  for (const x of v) s += x * x;
  return v.map((x) => x / Math.sqrt(s));
}

/** A unit vector at angle θ from e0 towards e1: cos(e0, v) = cos θ. */
export function atCosine(cos: number, dim = DIM): Float32Array {
  const v = new Float32Array(dim);
  v[0] = cos;
  v[1] = Math.sqrt(1 - cos * cos);
  return v;
}

export function e0(dim = DIM): Float32Array {
  const v = new Float32Array(dim);
  v[0] = 1;
  return v;
}

export function patternInput(id: string, embedding: Float32Array, extra: Partial<PatternInput> = {}): PatternInput {
  let seed = 7;
  for (const ch of String(id)) seed = (seed * 31 + ch.charCodeAt(0)) >>> 0;
  return { id, embedding, lora: randomLora(seed), timestepRange: [0, 0.5], ...extra };
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
