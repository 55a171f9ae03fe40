import { MicroLoraError, RANK_LIMIT, assertInteger, loraFromFactors } from '@microlora/core';
import type { LoraWeights } from '@microlora/core';
import { DEFAULT_MAX_DENSE_ENTRIES, assertDenseSize } from './dense-delta.js';
import type { DenseDelta } from './dense-delta.js';
import { truncateProduct } from './low-rank.js';
import { checkUpdates, deltaRowInto } from './model-update.js';
import type { ModelUpdate } from './model-update.js';

export interface FedAvgOptions {
  /** Re-compress the stacked result to at most this rank by exact SVD (optimal, lossy when below the stacked rank). */
  targetRank?: number;
  /** Cap on out × in when any update is dense (default 4 Mi). */
  maxDenseEntries?: number;
}

function sampleWeights(updates: readonly ModelUpdate[]): Float64Array {
  let total = 0;
  updates.forEach((u, i) => {
    const n = u.sampleCount;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
      throw new MicroLoraError('INVALID_ARGUMENT', `updates[${i}].sampleCount must be a finite number ≥ 0, got ${String(n)}`);
    }
    total += n;
  });
  if (!(total > 0)) throw new MicroLoraError('INVALID_ARGUMENT', 'the sample counts sum to 0; at least one update needs samples');
  return Float64Array.from(updates, (u) => u.sampleCount / total);
}

function stackFactors(updates: readonly ModelUpdate<LoraWeights>[], weights: Float64Array, options: FedAvgOptions): LoraWeights {
  const first = (updates[0] as ModelUpdate<LoraWeights>).weights;
  const { inFeatures: n, outFeatures: m, layerMask } = first;
  const used = updates.filter((_, i) => (weights[i] as number) > 0);
  const usedWeights = weights.filter((w) => w > 0);
  const rank = used.reduce((r, u) => r + u.weights.rank, 0);
  if (options.targetRank !== undefined) {
    // Σ wᵢ·sᵢ·Bᵢ·Aᵢ = U·Vᵀ with U = [w₁s₁B₁ …], V = [A₁ᵀ …], in float64.
    const u = new Float64Array(rank * m);
    const v = new Float64Array(rank * n);
    let row = 0;
    used.forEach(({ weights: w }, i) => {
      const c = (usedWeights[i] as number) * w.scaling;
      for (let k = 0; k < w.rank * m; k++) u[row * m + k] = c * (w.b[k] as number);
      v.set(w.a, row * n);
      row += w.rank;
    });
    return truncateProduct(u, v, { outFeatures: m, inFeatures: n, stackedRank: rank }, options.targetRank, layerMask).lora;
  }
  if (rank > RANK_LIMIT) {
    throw new MicroLoraError('LIMIT_EXCEEDED', `the stacked average has rank ${rank} > ${RANK_LIMIT}; pass { targetRank } to re-compress it`, {
      details: { rank },
    });
  }
  const a = new Float32Array(rank * n);
  const b = new Float32Array(rank * m);
  let row = 0;
  used.forEach(({ weights: w }, i) => {
    const c = (usedWeights[i] as number) * w.scaling;
    for (let k = 0; k < w.rank * n; k++) a[row * n + k] = c * (w.a[k] as number);
    b.set(w.b, row * m);
    row += w.rank;
  });
  return loraFromFactors({ rank, inFeatures: n, outFeatures: m, alpha: rank, a, b, layerMask });
}

function averageDense(updates: readonly ModelUpdate[], weights: Float64Array, m: number, n: number): DenseDelta {
  const data = new Float64Array(m * n);
  const row = new Float64Array(n);
  for (let o = 0; o < m; o++) {
    updates.forEach((u, i) => {
      const w = weights[i] as number;
      if (w === 0) return;
      deltaRowInto(u.weights, o, row);
      for (let j = 0; j < n; j++) data[o * n + j] = (data[o * n + j] as number) + w * (row[j] as number);
    });
  }
  return { outFeatures: m, inFeatures: n, data };
}

/**
 * Federated averaging weighted by sample count: Σ (nᵢ/N)·ΔWᵢ.
 *
 * Averaging A's and B's separately is NOT averaging ΔW, so factor updates are
 * stacked instead (rank Σrᵢ, scaling 1, wᵢ·sᵢ folded into A): the result's ΔW
 * is the weighted mean exactly, up to one float32 rounding per entry of A.
 * `targetRank` re-compresses it by exact SVD. Any dense update makes the result
 * a DenseDelta (exact in float64).
 */
export function fedAvg(updates: readonly ModelUpdate<LoraWeights>[], options?: FedAvgOptions): LoraWeights;
export function fedAvg(updates: readonly ModelUpdate<DenseDelta>[], options?: FedAvgOptions): DenseDelta;
export function fedAvg(updates: readonly ModelUpdate[], options?: FedAvgOptions): LoraWeights | DenseDelta;
export function fedAvg(updates: readonly ModelUpdate[], options: FedAvgOptions = {}): LoraWeights | DenseDelta {
  const shape = checkUpdates(updates);
  const weights = sampleWeights(updates);
  if (options.targetRank !== undefined) assertInteger('targetRank', options.targetRank, 1, RANK_LIMIT);
  if (shape.allFactors) return stackFactors(updates as readonly ModelUpdate<LoraWeights>[], weights, options);
  const maxEntries = options.maxDenseEntries ?? DEFAULT_MAX_DENSE_ENTRIES;
  assertDenseSize(shape.outFeatures, shape.inFeatures, maxEntries);
  return averageDense(updates, weights, shape.outFeatures, shape.inFeatures);
}
