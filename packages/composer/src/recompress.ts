import { RANK_LIMIT, assertAllFinite, assertLength, assertLoraShape, assertRank } from '@microlora/core';
import type { LoraWeights } from '@microlora/core';
import { householderQr, jacobiSvd } from './linalg.js';
import type { JacobiSvd, ThinQr } from './linalg.js';

interface LoraSvd {
  qa: ThinQr;
  qb: ThinQr;
  svd: JacobiSvd;
}

/** Rows of a rank-major factor (rank × len) as the columns of a len × rank float64 matrix. */
function factorColumns(f: Float32Array, rank: number, len: number): Float64Array {
  return Float64Array.from(f.subarray(0, rank * len));
}

/**
 * ΔW = s·B·A = s·(Q_b R_b)(Q_a R_a)ᵀ = Q_b (s R_b R_aᵀ) Q_aᵀ: two thin QRs and an
 * SVD of the small core C = s R_b R_aᵀ give ΔW's SVD without forming ΔW.
 */
function svdOfLora(lora: LoraWeights): LoraSvd {
  assertLoraShape(lora);
  assertLength('a', lora.a, lora.rank * lora.inFeatures);
  assertLength('b', lora.b, lora.rank * lora.outFeatures);
  assertAllFinite('a', lora.a);
  assertAllFinite('b', lora.b);
  const { rank, inFeatures: n, outFeatures: m, scaling } = lora;
  const qa = householderQr(factorColumns(lora.a, rank, n), n, rank); // Aᵀ = Q_a R_a
  const qb = householderQr(factorColumns(lora.b, rank, m), m, rank); // B = Q_b R_b
  const pa = qa.p;
  const pb = qb.p;
  // C = s·R_b·R_aᵀ, pb × pa column-major: C[i][j] = s Σ_r R_b[i][r] R_a[j][r].
  const core = new Float64Array(pb * pa);
  for (let j = 0; j < pa; j++) {
    for (let i = 0; i < pb; i++) {
      let sum = 0;
      for (let r = 0; r < rank; r++) sum += (qb.r[r * pb + i] as number) * (qa.r[r * pa + j] as number);
      core[j * pb + i] = scaling * sum;
    }
  }
  return { qa, qb, svd: jacobiSvd(core, pb, pa) };
}

/** Singular values of ΔW = scaling·B·A, descending (min(rank, in, out) of them), computed without forming ΔW. */
export function loraSingularValues(lora: LoraWeights): Float64Array {
  const { qa, qb, svd } = svdOfLora(lora);
  const count = Math.min(qa.p, qb.p);
  return Float64Array.from({ length: count }, (_, j) => svd.sigma[svd.order[j] as number] as number);
}

/**
 * Re-compresses an adapter (typically a rank-stacked composite) to at most
 * `targetRank`: the truncated SVD of ΔW, split as B' = Q_b U √Σ, A' = √Σ Vᵀ Q_aᵀ
 * with alpha = rank (scaling 1). Exact when targetRank ≥ the rank of ΔW; otherwise
 * the best approximation of that rank in Frobenius norm (Eckart–Young). The
 * result's rank is min(targetRank, lora.rank, in, out). Cost O((in + out)·r² + r³).
 */
export function recompress(lora: LoraWeights, targetRank: number): LoraWeights {
  assertRank(targetRank, RANK_LIMIT, 'targetRank');
  const { qa, qb, svd } = svdOfLora(lora);
  const { inFeatures: n, outFeatures: m } = lora;
  const pa = qa.p;
  const pb = qb.p;
  const rank = Math.min(targetRank, pa, pb);
  const a = new Float32Array(rank * n);
  const b = new Float32Array(rank * m);
  for (let t = 0; t < rank; t++) {
    const j = svd.order[t] as number;
    const sigma = svd.sigma[j] as number;
    if (sigma === 0) continue; // a zero component: both factor rows stay 0
    const root = Math.sqrt(sigma);
    // b row t = Q_b · (wⱼ / √σ)   (wⱼ = σ uⱼ)
    for (let o = 0; o < m; o++) {
      let sum = 0;
      for (let i = 0; i < pb; i++) sum += (qb.q[i * m + o] as number) * (svd.w[j * pb + i] as number);
      b[t * m + o] = sum / root;
    }
    // a row t = √σ · Q_a · vⱼ
    for (let x = 0; x < n; x++) {
      let sum = 0;
      for (let i = 0; i < pa; i++) sum += (qa.q[i * n + x] as number) * (svd.v[j * pa + i] as number);
      a[t * n + x] = root * sum;
    }
  }
  return { rank, inFeatures: n, outFeatures: m, alpha: rank, scaling: 1, a, b, layerMask: lora.layerMask };
}
