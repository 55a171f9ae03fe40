import {
  ALL_LAYERS,
  MicroLoraError,
  RANK_LIMIT,
  SeededRng,
  assertInteger,
  loraFromProductSvd,
  loraSvd,
  svdOfProduct,
  thinQr,
} from '@microlora/core';
import type { LoraWeights, ProductSvd, Seed } from '@microlora/core';
import { assertDenseDelta, assertLoraWeights } from './dense-delta.js';
import type { DenseDelta } from './dense-delta.js';

/** A rank-truncated adapter and how much of ΔW it loses: ‖ΔW − ΔŴ‖_F / ‖ΔW‖_F (0 for a zero ΔW). */
export interface LowRankResult {
  lora: LoraWeights;
  relativeError: number;
}

function tailError(sigma: Float64Array, rank: number): number {
  let total = 0;
  let tail = 0;
  for (let k = 0; k < sigma.length; k++) {
    const s2 = (sigma[k] as number) ** 2;
    total += s2;
    if (k >= rank) tail += s2;
  }
  return total === 0 ? 0 : Math.sqrt(tail / total);
}

/** Keeps the top min(rank, numerical rank) triplets — at least one, so a zero ΔW is a zero rank-1 adapter. */
function truncateSvd(svd: ProductSvd, rank: number, layerMask: bigint): LowRankResult {
  const kept = Math.max(1, Math.min(rank, svd.sigma.length));
  return { lora: loraFromProductSvd(svd, kept, layerMask), relativeError: tailError(svd.sigma, kept) };
}

/** The exact best rank-`rank` approximation (Eckart–Young) of ΔW = U·Vᵀ given as thin float64 factors. */
export function truncateProduct(
  u: Float64Array,
  v: Float64Array,
  shape: { outFeatures: number; inFeatures: number; stackedRank: number },
  rank: number,
  layerMask: bigint,
): LowRankResult {
  const { outFeatures: m, inFeatures: n, stackedRank: l } = shape;
  return truncateSvd(svdOfProduct(u, m, v, n, l), rank, layerMask);
}

/**
 * Re-compresses an adapter to at most `rank` by exact SVD of its ΔW (through
 * QR of the factors; ΔW is never formed). Optimal in Frobenius norm; exact (up
 * to float32 storage) when rank ≥ the adapter's rank. Output alpha = rank.
 */
export function truncateRank(lora: LoraWeights, rank: number): LowRankResult {
  assertLoraWeights('lora', lora);
  assertInteger('rank', rank, 1, RANK_LIMIT);
  return truncateSvd(loraSvd(lora), rank, lora.layerMask);
}

export interface LowRankApproxOptions {
  /** Extra random directions beyond `rank` (default 10). */
  oversample?: number;
  /** Power iterations sharpening the subspace (default 2). */
  powerIterations?: number;
  /** Seed of the random test matrix (default 0): results are reproducible. */
  seed?: Seed;
  layerMask?: bigint;
}

/**
 * A rank-`rank` adapter approximating a dense ΔW by randomised SVD (Halko,
 * Martinsson & Tropp 2011): exact to rounding when ΔW has rank ≤ rank + oversample
 * (e.g. a mean of few low-rank updates), near-optimal otherwise. relativeError is
 * the measured ‖ΔW − ΔŴ‖_F / ‖ΔW‖_F. Costs O(out·in·(rank + oversample)·(2 + 2·powerIterations)).
 */
export function lowRankApprox(delta: DenseDelta, rank: number, options: LowRankApproxOptions = {}): LowRankResult {
  assertDenseDelta('delta', delta);
  assertInteger('rank', rank, 1, RANK_LIMIT);
  const oversample = options.oversample ?? 10;
  const powerIterations = options.powerIterations ?? 2;
  assertInteger('oversample', oversample, 0, RANK_LIMIT);
  assertInteger('powerIterations', powerIterations, 0, 32);
  const layerMask = options.layerMask ?? ALL_LAYERS;
  if (typeof layerMask !== 'bigint' || layerMask < 0n || layerMask > ALL_LAYERS) {
    throw new MicroLoraError('INVALID_ARGUMENT', 'layerMask must be a bigint in [0, 2^64)');
  }
  const { outFeatures: m, inFeatures: n, data } = delta;
  const l = Math.min(rank + oversample, m, n);
  const rng = new SeededRng(options.seed ?? 0);
  // y = M·x for the ℓ columns of x (n × ℓ) → m × ℓ; z = Mᵀ·y → n × ℓ. Column-major.
  const times = (x: Float64Array): Float64Array => {
    const y = new Float64Array(m * l);
    for (let o = 0; o < m; o++) {
      const row = o * n;
      for (let j = 0; j < l; j++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += (data[row + i] as number) * (x[j * n + i] as number);
        y[j * m + o] = s;
      }
    }
    return y;
  };
  const transposeTimes = (y: Float64Array): Float64Array => {
    const z = new Float64Array(n * l);
    for (let o = 0; o < m; o++) {
      const row = o * n;
      for (let j = 0; j < l; j++) {
        const c = y[j * m + o] as number;
        if (c === 0) continue;
        for (let i = 0; i < n; i++) z[j * n + i] = (z[j * n + i] as number) + c * (data[row + i] as number);
      }
    }
    return z;
  };
  let q = thinQr(times(rng.fillNormal(new Float64Array(n * l))), m, l).q;
  for (let it = 0; it < powerIterations; it++) q = thinQr(times(thinQr(transposeTimes(q), n, l).q), m, l).q;
  // M ≈ Q·(QᵀM) = Q·Zᵀ with Z = MᵀQ.
  const z = transposeTimes(q);
  const svd = svdOfProduct(q, m, z, n, l);
  const kept = Math.max(1, Math.min(rank, svd.sigma.length));
  const lora = loraFromProductSvd(svd, kept, layerMask);
  let residual = 0;
  let total = 0;
  for (let o = 0; o < m; o++) {
    for (let i = 0; i < n; i++) {
      let approx = 0;
      for (let k = 0; k < kept; k++) approx += (svd.sigma[k] as number) * (svd.left[k * m + o] as number) * (svd.right[k * n + i] as number);
      const x = data[o * n + i] as number;
      residual += (x - approx) ** 2;
      total += x * x;
    }
  }
  return { lora, relativeError: total === 0 ? 0 : Math.sqrt(residual / total) };
}
