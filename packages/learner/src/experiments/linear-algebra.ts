import type { SeededRng } from '@microlora/core';

/** k orthonormal vectors of length n (Gram–Schmidt on Gaussian draws), orthogonal to `against`. */
export function orthonormalVectors(rng: SeededRng, n: number, k: number, against: readonly Float64Array[] = []): Float64Array[] {
  const out: Float64Array[] = [];
  while (out.length < k) {
    const v = rng.fillNormal(new Float64Array(n));
    for (const c of [...against, ...out]) {
      const d = dot64(v, c);
      for (let i = 0; i < n; i++) v[i] = (v[i] as number) - d * (c[i] as number);
    }
    const norm = Math.sqrt(dot64(v, v));
    if (norm < 1e-8) continue;
    for (let i = 0; i < n; i++) v[i] = (v[i] as number) / norm;
    out.push(v);
  }
  return out;
}

export function dot64(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

/** The mean of the last `count` values (all of them if fewer). */
export function meanOfLast(values: readonly number[], count: number): number {
  const start = Math.max(0, values.length - count);
  let s = 0;
  for (let i = start; i < values.length; i++) s += values[i] as number;
  return s / (values.length - start);
}
