import type { LoraWeights, SimdOps } from 'microlora';

/** The tfjs result must match the page's own backend within this, relative to the largest |delta|. */
export const TFJS_MAX_RELATIVE_ERROR = 1e-4;

export interface RescoreResult {
  rows: number;
  /** Time of the tfjs loraApplyBatch call (ms), readback included. */
  tfjsMs: number;
  /** max |tfjs − reference| / max |reference| over the adapter deltas (0 when both are all zero). */
  relativeError: number;
  agrees: boolean;
  referenceBackend: string;
}

/**
 * Re-scores the chat history in one gathered batch: every row is a past prompt's
 * embedding, `adapterIndex[r]` picks its adapter. Runs `loraApplyBatch` on tfjs (the
 * SimdOps the model's micro tier runs on) and on the page's WebAssembly SIMD backend and
 * compares the deltas, so a wrong GPU result is caught, not shown.
 */
export function rescoreHistory(
  tfjs: SimdOps,
  reference: SimdOps,
  adapters: readonly LoraWeights[],
  adapterIndex: Int32Array,
  hidden: Float32Array,
  rows: number,
): RescoreResult {
  const out = (adapters[0]?.outFeatures ?? 0) * rows;
  const fromTfjs = new Float32Array(out);
  const fromReference = new Float32Array(out);
  const started = performance.now();
  tfjs.loraApplyBatch(adapters, adapterIndex, hidden, fromTfjs, rows);
  const tfjsMs = performance.now() - started;
  reference.loraApplyBatch(adapters, adapterIndex, hidden, fromReference, rows);
  let largest = 0;
  let worst = 0;
  for (let i = 0; i < out; i++) {
    largest = Math.max(largest, Math.abs(fromReference[i] as number));
    const diff = Math.abs((fromTfjs[i] as number) - (fromReference[i] as number));
    worst = Number.isNaN(diff) ? Infinity : Math.max(worst, diff);
  }
  const relativeError = largest === 0 ? (worst === 0 ? 0 : Infinity) : worst / largest;
  return { rows, tfjsMs, relativeError, agrees: relativeError <= TFJS_MAX_RELATIVE_ERROR, referenceBackend: reference.name };
}
