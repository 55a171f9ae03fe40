import { beforeAll, describe, expect, it } from 'vitest';
import { isMicroLoraError } from '@microlora/core';
import type { LoraWeights } from '@microlora/core';
import { createJsBackend } from '@microlora/simd';
import { createTfjsBackend } from '@microlora/simd-tfjs';
import type { LoraBatchStrategy, TfjsSimdOps } from '@microlora/simd-tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { SeededRng, batchReference, randomF32, randomLora, worstError } from './helpers.js';

const configs = [
  ['wasm', 'gathered'],
  ['wasm', 'stacked'],
  ['cpu', 'gathered'],
  ['cpu', 'stacked'],
] as const satisfies readonly (readonly [string, LoraBatchStrategy])[];

const backends = new Map<string, TfjsSimdOps>();
beforeAll(async () => {
  for (const [tfBackend, batchStrategy] of configs) {
    backends.set(`${tfBackend}/${batchStrategy}`, await createTfjsBackend({ tfBackend, batchStrategy }));
  }
});
const get = (key: string): TfjsSimdOps => backends.get(key) as TfjsSimdOps;

/** Mixed ranks: micro (JS expand) and composed ranks 5 and 16 (tfjs expand). */
function mixedAdapters(rng: SeededRng, n: number, m: number): LoraWeights[] {
  return [1, 2, 4, 2, 5, 16, 3, 2, 1].map((rank, k) => randomLora(rng, rank, n, m, k === 3 ? 3 : 2 * rank));
}

describe.each(configs)('tfjs %s backend, %s batches', (tfBackend, batchStrategy) => {
  const key = `${tfBackend}/${batchStrategy}`;

  it('reports what it runs on', () => {
    const be = get(key);
    expect(be.name).toBe('tfjs');
    expect(be.tfBackend).toBe(tfBackend);
    expect(be.batchStrategy).toBe(batchStrategy);
  });

  it('loraApplyBatch of 300 scattered rows, 9 adapters of ranks 1–16, matches the float64 reference', () => {
    const rng = new SeededRng(`batch ${key}`);
    const n = 96;
    const m = 80;
    const adapters = mixedAdapters(rng, n, m);
    const rows = 300;
    const index = Int32Array.from({ length: rows }, () => rng.int(adapters.length + 2) - 2); // ~2/11 rows are −1 or −2
    const x = randomF32(rng, rows * n);
    const y = randomF32(rng, rows * m);
    const yBefore = y.slice();
    const { ref, mag } = batchReference(adapters, index, x, y);
    get(key).loraApplyBatch(adapters, index, x, y, rows);
    expect(worstError(y, ref, mag)).toBeLessThanOrEqual(1);
    for (let r = 0; r < rows; r++) {
      if ((index[r] as number) >= 0) continue;
      expect(y.subarray(r * m, (r + 1) * m)).toEqual(yBefore.subarray(r * m, (r + 1) * m));
    }
  });

  it('loraApplyBatch of rows already grouped by adapter (no gather) matches the reference', () => {
    const rng = new SeededRng(`grouped ${key}`);
    const n = 33;
    const m = 17;
    const adapters = mixedAdapters(rng, n, m);
    const index = Int32Array.from({ length: 90 }, (_, r) => Math.floor(r / 10));
    const x = randomF32(rng, 90 * n);
    const y = randomF32(rng, 90 * m);
    const { ref, mag } = batchReference(adapters, index, x, y);
    get(key).loraApplyBatch(adapters, index, x, y, 90);
    expect(worstError(y, ref, mag)).toBeLessThanOrEqual(1);
  });

  it('loraApplyBatch gives the same result as the js backend at 768 → 768 with 64 rank-2 adapters', () => {
    const rng = new SeededRng(`768 ${key}`);
    const adapters = Array.from({ length: 64 }, () => randomLora(rng, 2, 768, 768));
    const rows = 256;
    const index = Int32Array.from({ length: rows }, () => rng.int(64));
    const x = randomF32(rng, rows * 768);
    const y = randomF32(rng, rows * 768);
    const { ref, mag } = batchReference(adapters, index, x, y);
    const yJs = y.slice();
    createJsBackend().loraApplyBatch(adapters, index, x, yJs, rows);
    get(key).loraApplyBatch(adapters, index, x, y, rows);
    expect(worstError(y, ref, mag)).toBeLessThanOrEqual(1);
    expect(worstError(yJs, ref, mag)).toBeLessThanOrEqual(1);
  });

  it('reuses its scratch across batches of growing and shrinking size without stale values', () => {
    const rng = new SeededRng(`sizes ${key}`);
    const adapters = mixedAdapters(rng, 24, 12);
    const be = get(key);
    for (const rows of [5, 120, 1, 64, 3, 120]) {
      const index = Int32Array.from({ length: rows }, () => rng.int(adapters.length + 1) - 1);
      const x = randomF32(rng, rows * 24);
      const y = randomF32(rng, rows * 12);
      const { ref, mag } = batchReference(adapters, index, x, y);
      be.loraApplyBatch(adapters, index, x, y, rows);
      expect(worstError(y, ref, mag), `rows ${rows}`).toBeLessThanOrEqual(1);
    }
  });

  it('loraApply through the tfjs expand (rank 5) and the JS expand (rank 2) matches the reference', () => {
    const rng = new SeededRng(`apply ${key}`);
    for (const rank of [2, 5]) {
      const lora = randomLora(rng, rank, 50, 30);
      const x = randomF32(rng, 50);
      const y = randomF32(rng, 30);
      const { ref, mag } = batchReference([lora], Int32Array.of(0), x, y);
      const yScaled = y.slice();
      get(key).loraApply(lora, x, y);
      expect(worstError(y, ref, mag), `rank ${rank}`).toBeLessThanOrEqual(1);
      // scale = 0 adds exactly nothing (s folded into Aᵀ gives H = 0).
      const before = yScaled.slice();
      get(key).loraApply(lora, x, yScaled, 0);
      expect(yScaled).toEqual(before);
    }
  });

  it('leaves no tensor behind after any op, including loraApplyBatch and rejected calls', () => {
    const be = get(key);
    const rng = new SeededRng(`leaks ${key}`);
    const v = randomF32(rng, 40);
    const w = randomF32(rng, 40);
    const out = new Float32Array(40);
    const q = new Int8Array(40);
    const lora = randomLora(rng, 5, 40, 8);
    const adapters = mixedAdapters(rng, 40, 8);
    const index = Int32Array.from({ length: 50 }, () => rng.int(adapters.length + 1) - 1);
    const calls: [string, () => unknown][] = [
      ['dot', () => be.dot(v, w)],
      ['axpy', () => be.axpy(0.5, v, out)],
      ['scale', () => be.scale(v, 2, out)],
      ['lerp', () => be.lerp(v, w, 0.3, out)],
      ['softmax', () => be.softmax(v, out)],
      ['maxAbs', () => be.maxAbs(v)],
      ['gemv', () => be.gemv(randomF32(rng, 40 * 40), 40, 40, v, out, 2, 0.5)],
      ['gemv beta 0', () => be.gemv(randomF32(rng, 40 * 40), 40, 40, v, out)],
      ['loraApply', () => be.loraApply(lora, v, new Float32Array(8))],
      ['loraApplyBatch', () => be.loraApplyBatch(adapters, index, randomF32(rng, 50 * 40), new Float32Array(50 * 8), 50)],
      ['quantizeI8', () => be.quantizeI8(v, 0.01, q)],
      ['dequantizeI8', () => be.dequantizeI8(q, 0.01, out, 3)],
    ];
    for (const [name, call] of calls) {
      call(); // first call may initialise kernels
      const before = tf.memory().numTensors;
      call();
      expect(tf.memory().numTensors, name).toBe(before);
    }
    const before = tf.memory().numTensors;
    const rejected: [string, () => unknown][] = [
      ['dot mismatch', () => be.dot(v, new Float32Array(3))],
      ['softmax NaN', () => be.softmax(Float32Array.of(1, NaN), new Float32Array(2))],
      ['loraApplyBatch index', () => be.loraApplyBatch(adapters, Int32Array.of(99), randomF32(rng, 40), new Float32Array(8), 1)],
      ['quantizeI8 scale', () => be.quantizeI8(v, 0, q)],
    ];
    for (const [name, call] of rejected) {
      expect(call, name).toThrow();
      expect(tf.memory().numTensors, name).toBe(before);
    }
  });
});

describe('tfjs backends sharing one process', () => {
  it('stay correct when cpu and wasm calls alternate (each op activates its own tfjs backend)', () => {
    const wasm = get('wasm/gathered');
    const cpu = get('cpu/gathered');
    const rng = new SeededRng('alternate');
    for (let i = 0; i < 4; i++) {
      const be = i % 2 === 0 ? wasm : cpu;
      const a = randomF32(rng, 64);
      const b = randomF32(rng, 64);
      let ref = 0;
      let mag = 0;
      for (let j = 0; j < 64; j++) {
        ref += (a[j] as number) * (b[j] as number);
        mag += Math.abs((a[j] as number) * (b[j] as number));
      }
      expect(Math.abs(be.dot(a, b) - ref)).toBeLessThanOrEqual(1e-5 * mag + 1e-6);
      expect(tf.getBackend()).toBe(be.tfBackend);
    }
  });
});

describe('createTfjsBackend options', () => {
  it('rejects a tfjs backend that is not registered, naming the package to import', async () => {
    const err: unknown = await createTfjsBackend({ tfBackend: 'webgl' }).catch((e: unknown) => e);
    expect(isMicroLoraError(err, 'BACKEND_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toContain('@tensorflow/tfjs-backend-webgl');
  });

  it('rejects an empty tfBackend and an unknown batchStrategy', async () => {
    const empty: unknown = await createTfjsBackend({ tfBackend: '' }).catch((e: unknown) => e);
    expect(isMicroLoraError(empty, 'INVALID_ARGUMENT')).toBe(true);
    const strategy: unknown = await createTfjsBackend({ batchStrategy: 'dense' as LoraBatchStrategy }).catch((e: unknown) => e);
    expect(isMicroLoraError(strategy, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('defaults to tfjs-wasm with gathered batches', async () => {
    const be = await createTfjsBackend();
    expect(be.tfBackend).toBe('wasm');
    expect(be.batchStrategy).toBe('gathered');
  });
});

describe('restoreActiveTfBackend', () => {
  it('makes the previously active tfjs backend active again after each op', async () => {
    const polite = await createTfjsBackend({ tfBackend: 'wasm', restoreActiveTfBackend: true });
    await tf.setBackend('cpu');
    expect(polite.maxAbs(Float32Array.of(1, -4, 2))).toBe(4);
    expect(tf.getBackend()).toBe('cpu');
    // Without the option the op's backend stays active.
    expect(get('wasm/gathered').maxAbs(Float32Array.of(1, -4, 2))).toBe(4);
    expect(tf.getBackend()).toBe('wasm');
  });
});
