import type { LoraWeights } from '@microlora/core';

/**
 * ‖ΔW‖_F of ΔW = scaling·B·A in float64 without materialising ΔW:
 * ‖BA‖²_F = Σ_{k,l} (a_k·a_l)(b_k·b_l) over rank rows, O(rank²·(in + out)).
 */
export function deltaFrobeniusNorm(lora: LoraWeights): number {
  const { rank, inFeatures: n, outFeatures: m, a, b, scaling } = lora;
  let total = 0;
  for (let k = 0; k < rank; k++) {
    for (let l = k; l < rank; l++) {
      let da = 0;
      for (let i = 0; i < n; i++) da += (a[k * n + i] as number) * (a[l * n + i] as number);
      let db = 0;
      for (let o = 0; o < m; o++) db += (b[k * m + o] as number) * (b[l * m + o] as number);
      total += (k === l ? 1 : 2) * da * db;
    }
  }
  return Math.abs(scaling) * Math.sqrt(Math.max(0, total));
}
