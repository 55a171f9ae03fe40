import { MicroLoraError } from '@microlora/core';
import type { CompressedLora, LoraWeights } from '@microlora/core';
import { decompress } from './decompress.js';

/**
 * ‖Σ_f Σ_r U_f[r] V_f[r]ᵀ‖²_F from rank-major factors (U_f rows of length m,
 * V_f rows of length n): Σ_{k,l} (u_k·u_l)(v_k·v_l), O(K²·(m+n)) instead of m·n.
 */
function lowRankFrobeniusSquared(us: readonly Float64Array[], vs: readonly Float64Array[], m: number, n: number): number {
  const rows: [Float64Array, number, Float64Array, number][] = [];
  for (let f = 0; f < us.length; f++) {
    const u = us[f] as Float64Array;
    const v = vs[f] as Float64Array;
    for (let r = 0; r < u.length / m; r++) rows.push([u, r * m, v, r * n]);
  }
  let total = 0;
  for (let k = 0; k < rows.length; k++) {
    const [uk, uko, vk, vko] = rows[k] as [Float64Array, number, Float64Array, number];
    for (let l = k; l < rows.length; l++) {
      const [ul, ulo, vl, vlo] = rows[l] as [Float64Array, number, Float64Array, number];
      let du = 0;
      for (let i = 0; i < m; i++) du += (uk[uko + i] as number) * (ul[ulo + i] as number);
      let dv = 0;
      for (let i = 0; i < n; i++) dv += (vk[vko + i] as number) * (vl[vlo + i] as number);
      total += (k === l ? 1 : 2) * du * dv;
    }
  }
  return total;
}

function combine(x: Float32Array, xs: number, y: Float32Array, ys: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = xs * (x[i] as number) + ys * (y[i] as number);
  return out;
}

/**
 * ‖ΔW − ΔŴ‖_F / ‖ΔW‖_F with ΔW = scaling·B·A of `original` and ΔŴ that of
 * decompress(c), in float64 without materialising ΔW. 0 when both are zero.
 */
export function relativeFrobeniusError(original: LoraWeights, c: CompressedLora): number {
  if (original.rank !== c.rank || original.inFeatures !== c.inFeatures || original.outFeatures !== c.outFeatures) {
    throw new MicroLoraError(
      'DIMENSION_MISMATCH',
      `original is rank ${original.rank}, ${original.outFeatures}×${original.inFeatures}; ` +
        `the compressed adapter is rank ${c.rank}, ${c.outFeatures}×${c.inFeatures}: compare an adapter with its own compression`,
      { details: { original: [original.rank, original.outFeatures, original.inFeatures], compressed: [c.rank, c.outFeatures, c.inFeatures] } },
    );
  }
  const decoded = decompress(c);
  const { inFeatures: n, outFeatures: m } = original;
  const s = original.alpha / original.rank;
  const t = decoded.alpha / decoded.rank;
  const reference = lowRankFrobeniusSquared([combine(original.b, s, original.b, 0)], [combine(original.a, 1, original.a, 0)], m, n);
  // s·B·A − t·B̂·Â = s·(B − B̂)·A + B̂·(s·A − t·Â): the small differences stay explicit (no cancellation).
  const difference = lowRankFrobeniusSquared(
    [combine(original.b, s, decoded.b, -s), combine(decoded.b, 1, decoded.b, 0)],
    [combine(original.a, 1, original.a, 0), combine(original.a, s, decoded.a, -t)],
    m,
    n,
  );
  if (reference === 0) return difference === 0 ? 0 : Number.POSITIVE_INFINITY;
  return Math.sqrt(difference / reference);
}
