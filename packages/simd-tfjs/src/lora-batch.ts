import type { LoraWeights } from '@microlora/core';

/**
 * One strategy of loraApplyBatch on tfjs, called after the arguments were
 * checked and with the right tfjs backend active. Adds into y.
 */
export type LoraBatchKernel = (
  adapters: readonly LoraWeights[],
  adapterIndex: Int32Array,
  x: Float32Array,
  y: Float32Array,
  rows: number,
) => void;

/**
 * How loraApplyBatch maps onto tfjs:
 * - `gathered` (default, SGMV-style): rows grouped per adapter, the shrink
 *   X_k·(s_k·A_kᵀ) per block of adapters, the expand ·B_k added back into y
 *   (see createGatheredLoraBatch);
 * - `stacked`: every used adapter's A stacked into one (Σrank × in) matrix, one
 *   big X·A_allᵀ, a per-row mask with the scalings, one matMul with B_all.
 * Measured at 1024 rows × 768, 64 rank-2 adapters: gathered 5× faster on
 * tfjs-wasm and 26× on tfjs-cpu (stacked does Σrank/rank× the flops); see README.
 */
export type LoraBatchStrategy = 'gathered' | 'stacked';
