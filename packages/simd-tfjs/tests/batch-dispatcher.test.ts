import { describe, expect, it } from 'vitest';
import { isMicroLoraError } from '@microlora/core';
import { SIMD_OP_NAMES, createJsBackend } from '@microlora/simd';
import type { SimdOps } from '@microlora/simd';
import { DEFAULT_CROSSOVER_ROWS, createBatchDispatcher } from '@microlora/simd-tfjs';
import { SeededRng, randomLora } from './helpers.js';

/** A js backend that records which ops it ran. */
function recording(name: string): { backend: SimdOps; calls: string[] } {
  const js = createJsBackend();
  const calls: string[] = [];
  const backend = { name } as Record<string, unknown>;
  for (const op of SIMD_OP_NAMES) {
    backend[op] = (...args: unknown[]) => {
      calls.push(op);
      return (js[op] as (...a: unknown[]) => unknown)(...args);
    };
  }
  return { backend: backend as unknown as SimdOps, calls };
}

describe('createBatchDispatcher', () => {
  it('sends loraApplyBatch with rows ≥ crossoverRows to large and below it to small', () => {
    const small = recording('small');
    const large = recording('large');
    const d = createBatchDispatcher({ small: small.backend, large: large.backend, crossoverRows: 4 });
    const rng = new SeededRng('dispatch');
    const lora = randomLora(rng, 2, 5, 3);
    for (const rows of [0, 1, 3, 4, 5, 100]) {
      d.loraApplyBatch([lora], new Int32Array(rows), new Float32Array(rows * 5), new Float32Array(rows * 3), rows);
    }
    expect(small.calls).toEqual(['loraApplyBatch', 'loraApplyBatch', 'loraApplyBatch']);
    expect(large.calls).toEqual(['loraApplyBatch', 'loraApplyBatch', 'loraApplyBatch']);
  });

  it('sends every other op to small, with its arguments and result', () => {
    const small = recording('small');
    const large = recording('large');
    const d = createBatchDispatcher({ small: small.backend, large: large.backend, crossoverRows: 1 });
    const v = Float32Array.of(1, -2, 3);
    const out = new Float32Array(3);
    expect(d.dot(v, v)).toBe(14);
    d.axpy(2, v, out);
    d.scale(v, 2, out);
    d.lerp(v, out, 0.5, out);
    d.softmax(v, out);
    expect(d.maxAbs(v)).toBe(3);
    const y = Float32Array.of(1);
    d.gemv(v, 1, 3, v, y, 1, 0);
    expect(y[0]).toBe(14);
    d.loraApply(randomLora(new SeededRng(1), 1, 3, 3), v, out, 0.5);
    const q = new Int8Array(3);
    d.quantizeI8(v, 1, q, 1);
    expect(Array.from(q)).toEqual([2, -1, 4]);
    d.dequantizeI8(q, 1, out, 1);
    expect(Array.from(out)).toEqual([1, -2, 3]);
    expect(small.calls).toEqual(SIMD_OP_NAMES.filter((op) => op !== 'loraApplyBatch'));
    expect(large.calls).toEqual([]);
  });

  it('names itself after both backends and exposes its split', () => {
    const small = createJsBackend();
    const large = recording('tfjs').backend;
    const d = createBatchDispatcher({ small, large });
    expect(d.name).toBe('js+tfjs');
    expect(d.crossoverRows).toBe(DEFAULT_CROSSOVER_ROWS);
    expect(d.small).toBe(small);
    expect(d.large).toBe(large);
    expect(createBatchDispatcher({ small, large, name: 'auto', crossoverRows: Infinity }).name).toBe('auto');
  });

  it('rejects a crossover that is not an integer ≥ 1 (or Infinity) and a missing backend', () => {
    const js = createJsBackend();
    for (const crossoverRows of [0, -4, 2.5, NaN]) {
      let err: unknown;
      try {
        createBatchDispatcher({ small: js, large: js, crossoverRows });
      } catch (e) {
        err = e;
      }
      expect(isMicroLoraError(err, 'OUT_OF_RANGE'), String(crossoverRows)).toBe(true);
    }
    expect(() => createBatchDispatcher({ small: js, large: undefined as unknown as SimdOps })).toThrow(/large must be a SimdOps/);
  });
});
