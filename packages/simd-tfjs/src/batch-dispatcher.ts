import { MicroLoraError } from '@microlora/core';
import type { SimdOps } from '@microlora/simd';

/**
 * Default batch size from which loraApplyBatch goes to `large`: never.
 * Measured in Node (README, bench suite "simd-tfjs"): for 64 distinct rank-2
 * adapters at 768 → 768, tfjs-wasm never beat the pure-JS backend from 1 to
 * 4096 rows (0.1× at 1 row, ~0.9× from 1024 rows: such a batch is memory-bound
 * and JS already streams it once). Pass crossoverRows for your own case: e.g.
 * 1024 for rank-16 (composed) adapters, where tfjs-wasm measured ~1.8× faster.
 */
export const DEFAULT_CROSSOVER_ROWS = Number.POSITIVE_INFINITY;

export interface BatchDispatcherOptions {
  /** Runs every op except large batches (typically the "js" or "wasm" backend). */
  small: SimdOps;
  /** Runs loraApplyBatch from `crossoverRows` rows on (typically a tfjs backend). */
  large: SimdOps;
  /** First batch size sent to `large`: an integer ≥ 1, or Infinity for never. Default DEFAULT_CROSSOVER_ROWS. */
  crossoverRows?: number;
  /** Name of the combined backend. Default "<small>+<large>". */
  name?: string;
}

/** A dispatcher is a SimdOps that also says how it splits the work. */
export interface BatchDispatcher extends SimdOps {
  readonly small: SimdOps;
  readonly large: SimdOps;
  readonly crossoverRows: number;
}

/**
 * A SimdOps that sends loraApplyBatch with rows ≥ crossoverRows to `large`
 * and everything else to `small`: per-op overheads of tfjs (~10 µs an op)
 * only pay off on large batches. Both backends validate their own arguments,
 * so errors are those of the one that runs.
 */
export function createBatchDispatcher(options: BatchDispatcherOptions): BatchDispatcher {
  const { small, large } = options;
  for (const [role, backend] of [
    ['small', small],
    ['large', large],
  ] as const) {
    if (typeof backend !== 'object' || backend === null || typeof backend.loraApplyBatch !== 'function') {
      throw new MicroLoraError('INVALID_ARGUMENT', `createBatchDispatcher: ${role} must be a SimdOps backend, got ${String(backend)}`, {
        details: { role },
      });
    }
  }
  const crossoverRows = options.crossoverRows ?? DEFAULT_CROSSOVER_ROWS;
  if (typeof crossoverRows !== 'number' || !(crossoverRows === Infinity || (Number.isInteger(crossoverRows) && crossoverRows >= 1))) {
    throw new MicroLoraError(
      'OUT_OF_RANGE',
      `createBatchDispatcher: crossoverRows must be an integer ≥ 1 or Infinity, got ${String(crossoverRows)}`,
      { details: { crossoverRows } },
    );
  }
  return {
    name: options.name ?? `${small.name}+${large.name}`,
    small,
    large,
    crossoverRows,
    dot: (a, b) => small.dot(a, b),
    axpy: (alpha, x, y) => small.axpy(alpha, x, y),
    scale: (x, alpha, out) => small.scale(x, alpha, out),
    lerp: (a, b, t, out) => small.lerp(a, b, t, out),
    softmax: (x, out) => small.softmax(x, out),
    maxAbs: (x) => small.maxAbs(x),
    gemv: (m, rows, cols, x, y, alpha, beta) => small.gemv(m, rows, cols, x, y, alpha, beta),
    loraApply: (lora, x, y, scale) => small.loraApply(lora, x, y, scale),
    loraApplyBatch: (adapters, adapterIndex, x, y, rows) =>
      (rows >= crossoverRows ? large : small).loraApplyBatch(adapters, adapterIndex, x, y, rows),
    quantizeI8: (x, scale, out, zeroPoint) => small.quantizeI8(x, scale, out, zeroPoint),
    dequantizeI8: (q, scale, out, zeroPoint) => small.dequantizeI8(q, scale, out, zeroPoint),
  };
}
