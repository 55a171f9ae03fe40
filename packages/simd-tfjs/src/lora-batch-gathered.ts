import type { LoraWeights } from '@microlora/core';
import type { LoraBatchKernel } from './lora-batch.js';
import { JS_EXPAND_MAX_RANK, addExpanded, atLeast, scaledTransposedA } from './lora-factors.js';
import { RowGroups } from './row-groups.js';
import type { Tf } from './run-on-tf-backend.js';

/** Floats of x gathered per tfjs call (~512 KB): a chunk stays in cache from gather to matMul. */
const CHUNK_FLOATS = 1 << 17;

/**
 * Columns of one shrink matMul. XNNPACK's f32 GEMM kernels on wasm SIMD are
 * 8 columns wide, so up to four rank-2 adapters cost the same as one: their
 * groups are shrunk together (each row then reads only its own adapter's columns).
 */
const BLOCK_COLUMNS = 8;

/**
 * loraApplyBatch as a gathered multi-adapter batch (the SGMV pattern of
 * multi-LoRA servers): rows grouped per adapter; consecutive groups of micro
 * adapters whose ranks sum to ≤ 8 form a block; for each block (in chunks of
 * ~512 KB of x) gather its rows into one contiguous block, shrink
 * H = X·[s_k·A_kᵀ …] on tfjs, and add each row's expand H_k·B_k into its row
 * of y. Work is Σ rows·rank·(in + out) plus padding a GEMM tile would do anyway.
 *
 * - Chunk by chunk rather than one concatenated result: the gathered rows are
 *   still in cache when tfjs reads them (the batch is memory-bound, ~3 flops
 *   per byte of x), measured ~1.3× faster at 4096 rows.
 * - The expand of a micro adapter (rank ≤ JS_EXPAND_MAX_RANK) runs in JS fused
 *   with the scatter into y: `rank` multiply-adds per output, the cost of the
 *   scatter-add itself, so tfjs never builds and hands back a rows × out delta.
 *   Higher ranks (composed adapters) form their own block, expand on tfjs and
 *   are scatter-added.
 */
export function createGatheredLoraBatch(tf: Tf): LoraBatchKernel {
  const groups = new RowGroups();
  let gathered: Float32Array = new Float32Array(0);
  let blockA: Float32Array = new Float32Array(0);
  let column = new Int32Array(0); // first column of adapter k in its block

  return (adapters, adapterIndex, x, y, rows) => {
    const first = adapters[0];
    if (first === undefined || rows === 0) return;
    const n = first.inFeatures;
    const m = first.outFeatures;
    const count = adapters.length;
    const { start, order, used, identity } = groups.group(adapterIndex, rows, count);
    if (used === 0) return;
    const chunkRows = Math.max(1, Math.floor(CHUNK_FLOATS / n));
    if (!identity) gathered = atLeast(gathered, Math.min(used, chunkRows) * n);
    if (column.length < count) column = new Int32Array(count);

    let k = 0;
    while (k < count) {
      if (groups.count(k) === 0) {
        k++;
        continue;
      }
      // A block: adapter k, plus following micro adapters while the columns fit one GEMM tile.
      const head = adapters[k] as LoraWeights;
      const expandInJs = head.rank <= JS_EXPAND_MAX_RANK;
      const firstK = k;
      let cols = head.rank;
      column[k] = 0;
      k++;
      if (expandInJs) {
        for (; k < count; k++) {
          if (groups.count(k) === 0) continue;
          const r = (adapters[k] as LoraWeights).rank;
          if (r > JS_EXPAND_MAX_RANK || cols + r > BLOCK_COLUMNS) break;
          column[k] = cols;
          cols += r;
        }
      }
      const lastK = k; // exclusive; groups firstK..lastK−1 are consecutive in `order`
      blockA = atLeast(blockA, cols * n);
      for (let q = firstK; q < lastK; q++) {
        const lora = adapters[q] as LoraWeights;
        if (groups.count(q) > 0) scaledTransposedA(lora, lora.scaling, blockA, cols, column[q] as number);
      }
      const at = blockA.subarray(0, cols * n);

      for (let j0 = start[firstK] as number, end = start[lastK] as number; j0 < end; j0 += chunkRows) {
        const c = Math.min(chunkRows, end - j0);
        let xk: Float32Array;
        if (identity) {
          xk = x.subarray(j0 * n, (j0 + c) * n); // rows j0.. are already in block order, in place
        } else {
          xk = gathered.subarray(0, c * n);
          for (let j = 0; j < c; j++) {
            const row = (order[j0 + j] as number) * n;
            xk.set(x.subarray(row, row + n), j * n);
          }
        }
        const result = tf.tidy(() => {
          const h = tf.matMul(tf.tensor2d(xk, [c, n], 'float32'), tf.tensor2d(at, [n, cols], 'float32'));
          return expandInJs ? h : tf.matMul(h, tf.tensor2d(head.b, [cols, m], 'float32'));
        });
        const values = result.dataSync() as Float32Array;
        result.dispose();
        if (expandInJs) {
          for (let j = 0; j < c; j++) {
            const row = order[j0 + j] as number;
            const a = adapterIndex[row] as number;
            const lora = adapters[a] as LoraWeights;
            addExpanded(y, row * m, values, j * cols + (column[a] as number), lora.b, lora.rank, m);
          }
        } else {
          for (let j = 0; j < c; j++) {
            const yo = (order[j0 + j] as number) * m;
            const d0 = j * m;
            for (let o = 0; o < m; o++) y[yo + o] = (y[yo + o] as number) + (values[d0 + o] as number);
          }
        }
      }
    }
  };
}
