/**
 * The SVD of a LoRA's ΔW = scaling·B·A from its factors, and re-compression of an
 * adapter (typically a rank-stacked composite or average) to a smaller rank.
 */
import { svdOfProduct } from './linalg.js';
import type { ProductSvd } from './linalg.js';
import { ALL_LAYERS, assertLoraShape, loraFromFactors } from './lora.js';
import type { LoraWeights } from './lora.js';
import { RANK_LIMIT, assertAllFinite, assertDimension, assertFiniteNumber, assertLength, assertRank } from './validate.js';

/** The leading `maxTriplets` singular triplets of ΔW, after validating the adapter. */
function leadingSvd(lora: LoraWeights, maxTriplets: number): ProductSvd {
  assertLoraShape(lora);
  const { rank, inFeatures, outFeatures, scaling } = lora;
  assertLength('a', lora.a, rank * inFeatures);
  assertLength('b', lora.b, rank * outFeatures);
  assertAllFinite('a', lora.a);
  assertAllFinite('b', lora.b);
  assertFiniteNumber('scaling', scaling);
  const u = new Float64Array(rank * outFeatures);
  for (let i = 0; i < u.length; i++) u[i] = scaling * (lora.b[i] as number);
  const v = Float64Array.from(lora.a);
  return svdOfProduct(u, outFeatures, v, inFeatures, rank, maxTriplets);
}

/**
 * The SVD of ΔW = scaling·B·A (out × in) without forming ΔW: ΔW = U·Vᵀ with
 * U = scaling·B (out × rank) and V = Aᵀ (in × rank), which are exactly the
 * rank-major `b` and `a` read column-major. Returns the numerical-rank many
 * triplets (none for a zero adapter). O((in + out)·rank² + rank³).
 */
export function loraSvd(lora: LoraWeights): ProductSvd {
  return leadingSvd(lora, Number.POSITIVE_INFINITY);
}

/** Singular values of ΔW = scaling·B·A, descending: min(rank, in, out) of them (zeros past ΔW's rank). Use it to choose a target rank. */
export function loraSingularValues(lora: LoraWeights): Float64Array {
  const { sigma } = loraSvd(lora);
  const all = new Float64Array(Math.min(lora.rank, lora.inFeatures, lora.outFeatures));
  all.set(sigma);
  return all;
}

/**
 * The adapter of the top `rank` singular triplets of a ΔW, with balanced factors:
 * A row k = √σₖ·vₖᵀ, B column k = √σₖ·uₖ, alpha = rank (scaling 1), so both factors
 * carry equal norm. Rows past the SVD's own length are zero.
 */
export function loraFromProductSvd(svd: ProductSvd, rank: number, layerMask: bigint = ALL_LAYERS): LoraWeights {
  assertRank(rank, RANK_LIMIT);
  const { rows: m, cols: n, sigma, left, right } = svd;
  assertDimension('svd.rows', m);
  assertDimension('svd.cols', n);
  assertLength('svd.left', left, m * sigma.length);
  assertLength('svd.right', right, n * sigma.length);
  const a = new Float32Array(rank * n);
  const b = new Float32Array(rank * m);
  const kept = Math.min(rank, sigma.length);
  for (let k = 0; k < kept; k++) {
    const root = Math.sqrt(sigma[k] as number);
    if (root === 0) continue; // a zero component: both factor rows stay 0
    for (let i = 0; i < n; i++) a[k * n + i] = root * (right[k * n + i] as number);
    for (let o = 0; o < m; o++) b[k * m + o] = root * (left[k * m + o] as number);
  }
  return loraFromFactors({ rank, inFeatures: n, outFeatures: m, alpha: rank, a, b, layerMask });
}

/**
 * Re-compresses an adapter to at most `targetRank` by the truncated SVD of its
 * ΔW (thin QR of both factors, Jacobi SVD of the small core; ΔW is never formed).
 * Exact (up to float32 storage) when targetRank ≥ rank(ΔW); otherwise the best
 * approximation of that rank in Frobenius norm (Eckart–Young). The result has
 * rank min(targetRank, lora.rank, in, out) — zero rows past rank(ΔW) — alpha =
 * rank (scaling 1) and the input's layerMask. Cost O((in + out)·r² + r³), r = lora.rank.
 */
export function recompressLora(lora: LoraWeights, targetRank: number): LoraWeights {
  assertRank(targetRank, RANK_LIMIT, 'targetRank');
  const svd = leadingSvd(lora, targetRank);
  const rank = Math.min(targetRank, lora.rank, lora.inFeatures, lora.outFeatures);
  return loraFromProductSvd(svd, rank, lora.layerMask);
}
