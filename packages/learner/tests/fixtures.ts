import { SeededRng, loraFromFactors, type LoraWeights } from '@microlora/core';

/** An adapter with both factors non-zero (B ≠ 0, so that ∂/∂A is not zero). */
export function randomLora(seed: number, rank: number, n: number, m: number, alpha = 2 * rank): LoraWeights {
  const rng = new SeededRng(seed);
  return loraFromFactors({
    rank,
    inFeatures: n,
    outFeatures: m,
    alpha,
    a: rng.fillNormal(new Float32Array(rank * n), 1 / Math.sqrt(n)),
    b: rng.fillNormal(new Float32Array(rank * m), 0.1),
  });
}

export function randomVector(seed: number, length: number, std = 1): Float32Array {
  return new SeededRng(seed).fillNormal(new Float32Array(length), std);
}

/** Exact ∂L/∂A and ∂L/∂B (our layouts) of a loss with output gradient g, in float64. */
export function referenceGradients(lora: LoraWeights, x: ArrayLike<number>, g: ArrayLike<number>): { gradA: Float64Array; gradB: Float64Array } {
  const { rank, inFeatures: n, outFeatures: m, a, b, scaling: s } = lora;
  const gradA = new Float64Array(rank * n);
  const gradB = new Float64Array(rank * m);
  for (let r = 0; r < rank; r++) {
    let u = 0;
    for (let i = 0; i < n; i++) u += (a[r * n + i] as number) * (x[i] as number);
    let v = 0;
    for (let o = 0; o < m; o++) v += (b[r * m + o] as number) * (g[o] as number);
    for (let i = 0; i < n; i++) gradA[r * n + i] = s * v * (x[i] as number);
    for (let o = 0; o < m; o++) gradB[r * m + o] = s * u * (g[o] as number);
  }
  return { gradA, gradB };
}

/** max |actual − expected| / max(1e-12, max |expected|). */
export function relativeMaxError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let err = 0;
  let scale = 1e-12;
  for (let i = 0; i < expected.length; i++) {
    err = Math.max(err, Math.abs((actual[i] as number) - (expected[i] as number)));
    scale = Math.max(scale, Math.abs(expected[i] as number));
  }
  return err / scale;
}

/** θ0 + c·d elementwise, in float64. */
export function axpy64(theta0: ArrayLike<number>, c: number, d: ArrayLike<number>): Float64Array {
  const out = new Float64Array(theta0.length);
  for (let i = 0; i < out.length; i++) out[i] = (theta0[i] as number) + c * (d[i] as number);
  return out;
}

export function norm64(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] as number) ** 2;
  return Math.sqrt(s);
}
