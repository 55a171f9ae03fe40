import { MicroLoraError } from '@microlora/core';
import {
  assertGemvArgs,
  assertLoraApplyArgs,
  assertLoraBatchArgs,
  assertQuantParams,
  lengthMismatch,
  nonFiniteInput,
} from '@microlora/simd';
import type { SimdOps } from '@microlora/simd';
import * as tf from '@tensorflow/tfjs-core';
import type { LoraBatchKernel, LoraBatchStrategy } from './lora-batch.js';
import { createGatheredLoraBatch } from './lora-batch-gathered.js';
import { createStackedLoraBatch } from './lora-batch-stacked.js';
import { JS_EXPAND_MAX_RANK, addExpanded, atLeast, scaledTransposedA } from './lora-factors.js';
import { isTfBackendReady, runOnTfBackend } from './run-on-tf-backend.js';

/** tfjs backends this package can load itself; any other registered tfjs backend works too. */
export type BundledTfBackend = 'wasm' | 'cpu';

export interface TfjsBackendOptions {
  /**
   * The tfjs backend to run on. 'wasm' and 'cpu' are loaded by this package;
   * for any other ('webgl', 'webgpu', …) import its tfjs package first (it
   * registers itself with tfjs-core). Default 'wasm'.
   */
  tfBackend?: BundledTfBackend | (string & {});
  /**
   * Where the tfjs-wasm binaries are, passed to `setWasmPaths` before the first
   * wasm init (a directory prefix or a map per file name). Not needed in Node:
   * there tfjs-wasm reads them with fs from its own dist/ folder. In a browser
   * bundle, point it at where you serve `tfjs-backend-wasm*.wasm`.
   */
  wasmPaths?: string | Record<string, string>;
  /** loraApplyBatch strategy (see LoraBatchStrategy). Default 'gathered', the faster one. */
  batchStrategy?: LoraBatchStrategy;
  /**
   * tfjs has one global active backend and every op makes its own active. By
   * default it stays active afterwards (switching costs ~0.4 ms); set this when
   * your application runs its own tfjs model on another backend and must find
   * that backend active again after each op. Default false.
   */
  restoreActiveTfBackend?: boolean;
}

/** The SimdOps of one tfjs backend; `tfBackend` says which. */
export interface TfjsSimdOps extends SimdOps {
  readonly name: 'tfjs';
  /** The tfjs backend every op runs on ('wasm', 'cpu', 'webgl', …). */
  readonly tfBackend: string;
  /** The loraApplyBatch strategy in use. */
  readonly batchStrategy: LoraBatchStrategy;
}

/** Loads the tfjs backend package that registers `name` with tfjs-core, when it is one we depend on. */
async function loadTfBackend(name: string, options: TfjsBackendOptions): Promise<void> {
  if (name === 'cpu') {
    await import('@tensorflow/tfjs-backend-cpu');
  } else if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // setWasmPaths throws once a wasm init was attempted; only call it when asked to.
    if (options.wasmPaths !== undefined && !isTfBackendReady(tf, 'wasm')) wasm.setWasmPaths(options.wasmPaths);
  }
}

/** Initialises tfjs backend `name` (async: tfjs inits wasm/webgl asynchronously), leaving the active one as it was. */
async function initTfBackend(name: string): Promise<void> {
  if (tf.findBackendFactory(name) == null) {
    throw new MicroLoraError(
      'BACKEND_UNAVAILABLE',
      `tfjs backend "${name}" is not registered with @tensorflow/tfjs-core; import its package first ` +
        `(e.g. import '@tensorflow/tfjs-backend-${name}') or use tfBackend 'wasm' or 'cpu'`,
      { details: { tfBackend: name, registered: Object.keys(tf.engine().registryFactory) } },
    );
  }
  if (isTfBackendReady(tf, name)) return;
  const previous = tf.getBackend() as string | null;
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (err) {
    throw new MicroLoraError('BACKEND_UNAVAILABLE', `tfjs backend "${name}" failed to initialise: ${String((err as Error)?.message ?? err)}`, {
      cause: err,
      details: { tfBackend: name },
    });
  }
  if (!ok || !isTfBackendReady(tf, name)) {
    throw new MicroLoraError('BACKEND_UNAVAILABLE', `tfjs backend "${name}" failed to initialise (tf.setBackend returned false; tfjs logged why)`, {
      details: { tfBackend: name },
    });
  }
  if (previous !== null && previous !== name && isTfBackendReady(tf, previous)) await tf.setBackend(previous);
}

/** The first value of a scalar tensor, disposing it. */
function readScalar(t: tf.Tensor): number {
  const v = (t.dataSync() as Float32Array)[0] as number;
  t.dispose();
  return v;
}

/** Copies a tensor's values into a caller's array, disposing it. */
function readInto(t: tf.Tensor, out: Float32Array | Int8Array): void {
  out.set(t.dataSync() as Float32Array);
  t.dispose();
}

const f32 = (values: Float32Array): tf.Tensor1D => tf.tensor1d(values, 'float32');

/**
 * A SimdOps backend on TensorFlow.js. Every op runs as tfjs ops on the chosen
 * tfjs backend (made active for the op; see restoreActiveTfBackend) inside
 * tf.tidy, and writes into the caller's arrays; no tensor outlives a call. Argument checks
 * are the shared ones of @microlora/simd, run before any tensor is made.
 * Length 0 never reaches tfjs (tfjs-wasm returns uninitialised memory for
 * empty reductions). tfjs has a fixed cost of ~10 µs per op: use it for
 * batches (see createBatchDispatcher). Side-effect free: importing this module
 * registers nothing.
 */
export async function createTfjsBackend(options: TfjsBackendOptions = {}): Promise<TfjsSimdOps> {
  const tfBackend = options.tfBackend ?? 'wasm';
  const batchStrategy = options.batchStrategy ?? 'gathered';
  if (typeof tfBackend !== 'string' || tfBackend.length === 0) {
    throw new MicroLoraError('INVALID_ARGUMENT', `tfBackend must be a tfjs backend name such as 'wasm' or 'cpu', got ${String(tfBackend)}`, {
      details: { tfBackend },
    });
  }
  if (batchStrategy !== 'gathered' && batchStrategy !== 'stacked') {
    throw new MicroLoraError('INVALID_ARGUMENT', `batchStrategy must be 'gathered' or 'stacked', got ${String(batchStrategy)}`, {
      details: { batchStrategy },
    });
  }
  await loadTfBackend(tfBackend, options);
  await initTfBackend(tfBackend);

  const restore = options.restoreActiveTfBackend === true;
  const run = <T>(fn: () => T): T => runOnTfBackend(tf, tfBackend, fn, restore);
  const batchKernel: LoraBatchKernel = batchStrategy === 'gathered' ? createGatheredLoraBatch(tf) : createStackedLoraBatch(tf);
  // Grow-only scratch: s·Aᵀ of loraApply, and int8 → float32 for dequantizeI8 (tfjs has no int8 dtype).
  let transposedA: Float32Array = new Float32Array(0);
  let codes: Float32Array = new Float32Array(0);

  return {
    name: 'tfjs',
    tfBackend,
    batchStrategy,

    dot(a, b) {
      if (a.length !== b.length) throw lengthMismatch('dot', 'b', b.length, 'a', a.length);
      if (a.length === 0) return 0;
      return run(() => readScalar(tf.tidy(() => tf.dot(f32(a), f32(b)))));
    },

    axpy(alpha, x, y) {
      const n = x.length;
      if (y.length !== n) throw lengthMismatch('axpy', 'y', y.length, 'x', n);
      if (n === 0) return;
      run(() => readInto(tf.tidy(() => tf.add(f32(y), tf.mul(f32(x), alpha))), y));
    },

    scale(x, alpha, out) {
      const n = x.length;
      if (out.length !== n) throw lengthMismatch('scale', 'out', out.length, 'x', n);
      if (n === 0) return;
      run(() => readInto(tf.tidy(() => tf.mul(f32(x), alpha)), out));
    },

    lerp(a, b, t, out) {
      const n = a.length;
      if (b.length !== n) throw lengthMismatch('lerp', 'b', b.length, 'a', n);
      if (out.length !== n) throw lengthMismatch('lerp', 'out', out.length, 'a', n);
      if (n === 0) return;
      run(() =>
        readInto(
          tf.tidy(() => {
            const ta = f32(a);
            return tf.add(ta, tf.mul(tf.sub(f32(b), ta), t));
          }),
          out,
        ),
      );
    },

    softmax(x, out) {
      const n = x.length;
      if (out.length !== n) throw lengthMismatch('softmax', 'out', out.length, 'x', n);
      // The finiteness scan (needed before anything is written) also yields the max.
      let max = -Infinity;
      for (let i = 0; i < n; i++) {
        const v = x[i] as number;
        if (v - v !== 0) throw nonFiniteInput('softmax', 'x', i, v);
        if (v > max) max = v;
      }
      if (n === 0) return;
      // exp(x − max) / Σ: not tf.softmax, whose exp(x − logSumExp) loses ~1e-3 relative near |x| = 1e4 in float32.
      run(() =>
        readInto(
          tf.tidy(() => {
            const e = tf.exp(tf.sub(f32(x), max));
            return tf.div(e, tf.sum(e));
          }),
          out,
        ),
      );
    },

    maxAbs(x) {
      if (x.length === 0) return 0;
      return run(() => readScalar(tf.tidy(() => tf.max(tf.abs(f32(x))))));
    },

    gemv(m, rows, cols, x, y, alpha = 1, beta = 0) {
      assertGemvArgs(m, rows, cols, x, y);
      if (rows === 0) return;
      if (cols === 0) {
        // M·x is the empty sum: y = beta·y (beta = 0 never reads y, BLAS convention).
        for (let r = 0; r < rows; r++) y[r] = beta === 0 ? 0 : beta * (y[r] as number);
        return;
      }
      run(() =>
        readInto(
          tf.tidy(() => {
            const mx = tf.mul(tf.matMul(tf.tensor2d(m, [rows, cols], 'float32'), tf.tensor2d(x, [cols, 1], 'float32')), alpha);
            return beta === 0 ? mx : tf.add(mx, tf.mul(tf.tensor2d(y, [rows, 1], 'float32'), beta));
          }),
          y,
        ),
      );
    },

    loraApply(lora, x, y, scale = 1) {
      assertLoraApplyArgs(lora, x, y);
      const { rank, inFeatures: n, outFeatures: m } = lora;
      transposedA = atLeast(transposedA, rank * n);
      const at = scaledTransposedA(lora, lora.scaling * scale, transposedA);
      run(() => {
        // Same split as loraApplyBatch: shrink on tfjs; a micro adapter's expand in JS, fused with the add.
        const expandInJs = rank <= JS_EXPAND_MAX_RANK;
        const result = tf.tidy(() => {
          const h = tf.matMul(tf.tensor2d(x, [1, n], 'float32'), tf.tensor2d(at, [n, rank], 'float32'));
          return expandInJs ? h : tf.matMul(h, tf.tensor2d(lora.b, [rank, m], 'float32'));
        });
        const values = result.dataSync() as Float32Array;
        result.dispose();
        if (expandInJs) addExpanded(y, 0, values, 0, lora.b, rank, m);
        else for (let o = 0; o < m; o++) y[o] = (y[o] as number) + (values[o] as number);
      });
    },

    loraApplyBatch(adapters, adapterIndex, x, y, rows) {
      assertLoraBatchArgs(adapters, adapterIndex, x, y, rows);
      if (rows === 0 || adapters.length === 0) return;
      run(() => batchKernel(adapters, adapterIndex, x, y, rows));
    },

    quantizeI8(x, scale, out, zeroPoint = 0) {
      const n = x.length;
      if (out.length !== n) throw lengthMismatch('quantizeI8', 'out', out.length, 'x', n);
      assertQuantParams('quantizeI8', scale, zeroPoint);
      for (let i = 0; i < n; i++) {
        const v = x[i] as number;
        if (v - v !== 0) throw nonFiniteInput('quantizeI8', 'x', i, v);
      }
      if (n === 0) return;
      run(() =>
        readInto(
          tf.tidy(() => {
            // Round half away from zero, exactly in float32: |v| = f + frac with f = floor|v|
            // (frac exact); +1 when frac ≥ 0.5. (floor(|v| + 0.5) is wrong: 0.49999997 + 0.5 rounds to 1.)
            const v = tf.div(f32(x), scale);
            const magnitude = tf.abs(v);
            const whole = tf.floor(magnitude);
            const up = tf.cast(tf.greaterEqual(tf.sub(magnitude, whole), 0.5), 'float32');
            const rounded = tf.mul(tf.sign(v), tf.add(whole, up));
            return tf.clipByValue(tf.add(rounded, zeroPoint), -128, 127);
          }),
          out,
        ),
      );
    },

    dequantizeI8(q, scale, out, zeroPoint = 0) {
      const n = q.length;
      if (out.length !== n) throw lengthMismatch('dequantizeI8', 'out', out.length, 'q', n);
      assertQuantParams('dequantizeI8', scale, zeroPoint);
      if (n === 0) return;
      codes = atLeast(codes, n);
      const qf = codes.subarray(0, n);
      qf.set(q);
      run(() => readInto(tf.tidy(() => tf.mul(tf.sub(f32(qf), zeroPoint), scale)), out));
    },
  };
}

/**
 * The "tfjs" backend the registry creates: tfjs-wasm (WebAssembly SIMD, ~5×
 * tfjs-cpu on loraApplyBatch in Node), falling back to tfjs-cpu when wasm
 * cannot initialise. One error
 * naming both failures if neither does.
 */
export async function createDefaultTfjsBackend(): Promise<TfjsSimdOps> {
  try {
    return await createTfjsBackend({ tfBackend: 'wasm' });
  } catch (wasmError) {
    try {
      return await createTfjsBackend({ tfBackend: 'cpu' });
    } catch (cpuError) {
      const why = (err: unknown): string => (err instanceof Error ? err.message : String(err));
      throw new MicroLoraError(
        'BACKEND_UNAVAILABLE',
        `no tfjs backend initialised: wasm: ${why(wasmError)}; cpu: ${why(cpuError)}`,
        { cause: cpuError, details: { wasm: why(wasmError), cpu: why(cpuError) } },
      );
    }
  }
}
