import type { QuantScheme } from '@microlora/core';

/**
 * Values per scale in one factor of `rank` rows × `cols` values.
 * Groups never straddle rows: 'grouped' requires groupSize to divide `cols`,
 * so the core formula g = floor(i / groupSize) always stays inside a row.
 */
export function factorGroupSize(scheme: QuantScheme, rank: number, cols: number, groupSize: number): number {
  switch (scheme) {
    case 'per-tensor':
      return rank * cols;
    case 'per-row':
    case 'asymmetric':
      return cols;
    case 'grouped':
      return groupSize;
  }
}

/** Number of scales (and zero points, if any) of one factor. */
export function factorScaleCount(scheme: QuantScheme, rank: number, cols: number, groupSize: number): number {
  return (rank * cols) / factorGroupSize(scheme, rank, cols, groupSize);
}

/** Whether the scheme stores one zero point per scale. */
export function hasZeroPoints(scheme: QuantScheme): boolean {
  return scheme === 'asymmetric';
}

/** Largest divisor of both n and m that is ≤ limit (for error messages suggesting a valid groupSize). */
export function largestCommonDivisorAtMost(n: number, m: number, limit: number): number {
  for (let d = Math.min(limit, n, m); d > 1; d--) if (n % d === 0 && m % d === 0) return d;
  return 1;
}
