import { MicroLoraError, assertInteger } from '@microlora/core';
import type { LoraWeights } from '@microlora/core';

// Argument checks of the SimdOps contract, shared by every backend so that
// errors (codes, messages, details) are identical whichever backend runs.
// All are O(1) except the adapter-index scan of loraApplyBatch (O(rows + adapters)).

/** The DIMENSION_MISMATCH error for two arrays an op needs of equal length. */
export function lengthMismatch(op: string, name: string, actual: number, otherName: string, expected: number): MicroLoraError {
  return new MicroLoraError(
    'DIMENSION_MISMATCH',
    `${op}: ${name} has length ${actual} but ${otherName} has length ${expected}; pass arrays of equal length`,
    { details: { op, name, actual, expected } },
  );
}

/** The DIMENSION_MISMATCH error for an array whose length its shape fixes. */
export function shapeMismatch(op: string, name: string, actual: number, expected: number, expectedWhat: string): MicroLoraError {
  return new MicroLoraError(
    'DIMENSION_MISMATCH',
    `${op}: ${name} has length ${actual}, expected ${expected} (${expectedWhat})`,
    { details: { op, name, actual, expected } },
  );
}

/** The NON_FINITE error for x[index] of an op that validates its input. */
export function nonFiniteInput(op: string, name: string, index: number, value: number): MicroLoraError {
  return new MicroLoraError(
    'NON_FINITE',
    `${op}: ${name}[${index}] is ${value}; every value must be finite` +
      (op === 'softmax' ? ' (mask entries with -3.4e38, not -Infinity)' : ''),
    { details: { op, name, index, value } },
  );
}

/** Largest |zeroPoint|-range accepted: that of QuantizedTensor.zeroPoints (Int16Array). */
const ZERO_POINT_MIN = -32768;
const ZERO_POINT_MAX = 32767;

/** scale finite and > 0, zeroPoint an integer in [-32768, 32767]. */
export function assertQuantParams(op: string, scale: number, zeroPoint: number): void {
  if (typeof scale !== 'number' || !(scale > 0) || scale === Infinity) {
    if (typeof scale === 'number' && Number.isFinite(scale)) {
      throw new MicroLoraError('OUT_OF_RANGE', `${op}: scale must be > 0, got ${scale}; an all-zero tensor still needs a positive scale (e.g. 1)`, {
        details: { op, name: 'scale', value: scale },
      });
    }
    throw new MicroLoraError(
      typeof scale === 'number' ? 'NON_FINITE' : 'INVALID_ARGUMENT',
      `${op}: scale must be a finite number > 0, got ${String(scale)}`,
      { details: { op, name: 'scale', value: scale } },
    );
  }
  if (!Number.isInteger(zeroPoint) || zeroPoint < ZERO_POINT_MIN || zeroPoint > ZERO_POINT_MAX) {
    assertInteger(`${op}: zeroPoint`, zeroPoint, ZERO_POINT_MIN, ZERO_POINT_MAX);
  }
}

/** rows and cols non-negative integers; m, x, y lengths consistent with them. */
export function assertGemvArgs(m: Float32Array, rows: number, cols: number, x: Float32Array, y: Float32Array): void {
  if (!Number.isInteger(rows) || rows < 0) assertInteger('gemv: rows', rows, 0, Number.MAX_SAFE_INTEGER);
  if (!Number.isInteger(cols) || cols < 0) assertInteger('gemv: cols', cols, 0, Number.MAX_SAFE_INTEGER);
  if (m.length !== rows * cols) throw shapeMismatch('gemv', 'm', m.length, rows * cols, `rows·cols = ${rows}·${cols}`);
  if (x.length !== cols) throw shapeMismatch('gemv', 'x', x.length, cols, 'cols');
  if (y.length !== rows) throw shapeMismatch('gemv', 'y', y.length, rows, 'rows');
}

/** The factors of one adapter have the lengths its rank and features imply. */
export function assertLoraFactors(op: string, lora: LoraWeights, label = 'lora'): void {
  const { rank, inFeatures, outFeatures } = lora;
  if (lora.a.length !== rank * inFeatures) {
    throw shapeMismatch(op, `${label}.a`, lora.a.length, rank * inFeatures, `rank·inFeatures = ${rank}·${inFeatures}`);
  }
  if (lora.b.length !== rank * outFeatures) {
    throw shapeMismatch(op, `${label}.b`, lora.b.length, rank * outFeatures, `rank·outFeatures = ${rank}·${outFeatures}`);
  }
}

/** x.length = in, y.length = out, factors consistent with the shape. */
export function assertLoraApplyArgs(lora: LoraWeights, x: Float32Array, y: Float32Array): void {
  assertLoraFactors('loraApply', lora);
  if (x.length !== lora.inFeatures) throw shapeMismatch('loraApply', 'x', x.length, lora.inFeatures, 'lora.inFeatures');
  if (y.length !== lora.outFeatures) throw shapeMismatch('loraApply', 'y', y.length, lora.outFeatures, 'lora.outFeatures');
}

/**
 * Every check of loraApplyBatch, run before y is written: rows a non-negative
 * integer, adapterIndex.length = rows, adapters sharing in/out with consistent
 * factors, x and y of rows·in and rows·out, and every index < adapters.length.
 */
export function assertLoraBatchArgs(
  adapters: readonly LoraWeights[],
  adapterIndex: Int32Array,
  x: Float32Array,
  y: Float32Array,
  rows: number,
): void {
  const op = 'loraApplyBatch';
  if (!Number.isInteger(rows) || rows < 0) assertInteger(`${op}: rows`, rows, 0, Number.MAX_SAFE_INTEGER);
  if (adapterIndex.length !== rows) throw shapeMismatch(op, 'adapterIndex', adapterIndex.length, rows, 'rows');
  const count = adapters.length;
  const first = adapters[0];
  if (first !== undefined) {
    const { inFeatures, outFeatures } = first;
    for (let k = 0; k < count; k++) {
      const lora = adapters[k] as LoraWeights;
      if (lora.inFeatures !== inFeatures || lora.outFeatures !== outFeatures) {
        throw new MicroLoraError(
          'DIMENSION_MISMATCH',
          `${op}: adapters[${k}] is ${lora.inFeatures}→${lora.outFeatures} but adapters[0] is ${inFeatures}→${outFeatures}; ` +
            'every adapter of a batch must share inFeatures and outFeatures',
          { details: { op, index: k, inFeatures: lora.inFeatures, outFeatures: lora.outFeatures, expected: [inFeatures, outFeatures] } },
        );
      }
      if (lora.a.length !== lora.rank * inFeatures || lora.b.length !== lora.rank * outFeatures) {
        assertLoraFactors(op, lora, `adapters[${k}]`);
      }
    }
    if (x.length !== rows * inFeatures) throw shapeMismatch(op, 'x', x.length, rows * inFeatures, `rows·inFeatures = ${rows}·${inFeatures}`);
    if (y.length !== rows * outFeatures) throw shapeMismatch(op, 'y', y.length, rows * outFeatures, `rows·outFeatures = ${rows}·${outFeatures}`);
  }
  for (let r = 0; r < rows; r++) {
    const k = adapterIndex[r] as number;
    if (k >= count) {
      throw new MicroLoraError(
        'OUT_OF_RANGE',
        `${op}: adapterIndex[${r}] is ${k} but there are ${count} adapters; use an index in [0, ${count - 1}] or -1 for "no adapter"`,
        { details: { op, row: r, index: k, adapters: count } },
      );
    }
  }
}
