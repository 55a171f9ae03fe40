import { SeededRng, loraFromFactors } from '@microlora/core';
import type { LoraWeights } from '@microlora/core';

/**
 * A "realistic" trained-like adapter: both factors Gaussian and non-zero, and
 * every rank row with its own magnitude (log-uniform over a 4× span), as rows
 * of trained LoRA factors have. The bench suite uses the same recipe.
 */
export function realisticLora(seed: number, rank: number, inFeatures = 768, outFeatures = 768): LoraWeights {
  const rng = new SeededRng(seed);
  const a = new Float32Array(rank * inFeatures);
  const b = new Float32Array(rank * outFeatures);
  for (let r = 0; r < rank; r++) {
    const aStd = Math.exp(rng.uniform(Math.log(0.25), 0)) / Math.sqrt(inFeatures);
    const bStd = 0.02 * Math.exp(rng.uniform(Math.log(0.25), 0));
    rng.fillNormal(a.subarray(r * inFeatures, (r + 1) * inFeatures), aStd);
    rng.fillNormal(b.subarray(r * outFeatures, (r + 1) * outFeatures), bStd);
  }
  return loraFromFactors({ rank, inFeatures, outFeatures, a, b, alpha: 2 * rank });
}

/** Uniform random factors in ±bound (small shapes for exhaustive checks). */
export function randomLora(seed: number, rank: number, inFeatures: number, outFeatures: number, bound = 1): LoraWeights {
  const rng = new SeededRng(seed);
  return loraFromFactors({
    rank,
    inFeatures,
    outFeatures,
    a: rng.fillUniform(new Float32Array(rank * inFeatures), -bound, bound),
    b: rng.fillUniform(new Float32Array(rank * outFeatures), -bound, bound),
    alpha: rank,
    layerMask: BigInt(rng.nextU32()) << 32n | BigInt(rng.nextU32()),
  });
}

/** The "realistic" adapter in its plainest form: both factors i.i.d. Gaussian, non-zero. */
export function gaussianLora(seed: number, rank: number, inFeatures = 768, outFeatures = 768): LoraWeights {
  const rng = new SeededRng(seed);
  return loraFromFactors({
    rank,
    inFeatures,
    outFeatures,
    a: rng.fillNormal(new Float32Array(rank * inFeatures), 1 / Math.sqrt(inFeatures)),
    b: rng.fillNormal(new Float32Array(rank * outFeatures), 0.02),
    alpha: 2 * rank,
  });
}
