import type { LoraWeights } from '@microlora/core';
import type { LoraBatchKernel } from './lora-batch.js';
import { atLeast } from './lora-factors.js';
import type { Tf } from './run-on-tf-backend.js';

/**
 * loraApplyBatch with every used adapter stacked: A_allᵀ (in × Σrank), one
 * H = X·A_allᵀ for all rows, H masked per row (s_k on the row's own adapter's
 * rank columns, 0 elsewhere), then D = H·B_all (Σrank × out). Three big ops
 * instead of 2 per adapter, but Σrank/rank× the flops of the gathered kernel;
 * kept to measure that trade-off (see README), not the default.
 */
export function createStackedLoraBatch(tf: Tf): LoraBatchKernel {
  let column = new Int32Array(0); // first stacked column of adapter k, −1 if unused
  let aAllT: Float32Array = new Float32Array(0);
  let bAll: Float32Array = new Float32Array(0);
  let mask: Float32Array = new Float32Array(0);

  return (adapters, adapterIndex, x, y, rows) => {
    const first = adapters[0];
    if (first === undefined || rows === 0) return;
    const n = first.inFeatures;
    const m = first.outFeatures;
    const count = adapters.length;
    if (column.length < count) column = new Int32Array(count);
    column.fill(-1, 0, count);
    for (let r = 0; r < rows; r++) {
      const k = adapterIndex[r] as number;
      if (k >= 0) column[k] = 0;
    }
    // Only adapters some row uses are stacked: an unused one costs nothing (and its NaNs cannot leak).
    let rankSum = 0;
    for (let k = 0; k < count; k++) {
      if (column[k] === -1) continue;
      column[k] = rankSum;
      rankSum += (adapters[k] as LoraWeights).rank;
    }
    if (rankSum === 0) return;
    aAllT = atLeast(aAllT, n * rankSum);
    bAll = atLeast(bAll, rankSum * m);
    mask = atLeast(mask, rows * rankSum);
    for (let k = 0; k < count; k++) {
      const c0 = column[k] as number;
      if (c0 === -1) continue;
      const { rank, a, b } = adapters[k] as LoraWeights;
      for (let r = 0; r < rank; r++) {
        for (let i = 0; i < n; i++) aAllT[i * rankSum + c0 + r] = a[r * n + i] as number;
      }
      bAll.set(b.subarray(0, rank * m), c0 * m);
    }
    mask.fill(0, 0, rows * rankSum);
    for (let r = 0; r < rows; r++) {
      const k = adapterIndex[r] as number;
      if (k < 0) continue;
      const lora = adapters[k] as LoraWeights;
      const c0 = r * rankSum + (column[k] as number);
      mask.fill(lora.scaling, c0, c0 + lora.rank);
    }

    const delta = tf.tidy(() => {
      const h = tf.matMul(tf.tensor2d(x, [rows, n], 'float32'), tf.tensor2d(aAllT.subarray(0, n * rankSum), [n, rankSum], 'float32'));
      const masked = tf.mul(h, tf.tensor2d(mask.subarray(0, rows * rankSum), [rows, rankSum], 'float32'));
      return tf.matMul(masked, tf.tensor2d(bAll.subarray(0, rankSum * m), [rankSum, m], 'float32'));
    });
    const d = delta.dataSync() as Float32Array;
    delta.dispose();
    for (let r = 0; r < rows; r++) {
      if ((adapterIndex[r] as number) < 0) continue; // untouched, bit for bit (y + 0 would turn −0 into +0)
      const o0 = r * m;
      for (let o = o0; o < o0 + m; o++) y[o] = (y[o] as number) + (d[o] as number);
    }
  };
}
