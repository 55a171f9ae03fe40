import * as tf from '@tensorflow/tfjs-core';
import { MicroLoraError } from '@microlora/core';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import { TF_BACKENDS, type TfBackendName } from './tfjs-backend-order.js';

/** A backend that has not initialised in this long is skipped (WebGL can hang on broken drivers). */
export const TF_BACKEND_TIMEOUT_MS = 10_000;

export interface TfBackendChoice {
  name: TfBackendName;
  /** Time to load and initialise it (ms). */
  initMs: number;
  /** The better backends that failed, with why. */
  skipped: { name: TfBackendName; reason: string }[];
}

function short(error: unknown): string {
  const text = error instanceof Error ? error.message : typeof error === 'object' && error !== null && 'message' in error ? String(error.message) : String(error);
  const firstLine = text.split('\n')[0] ?? text;
  return firstLine.length > 160 ? `${firstLine.slice(0, 157)}…` : firstLine;
}

/** Imports the package that registers `name` with tfjs-core (each its own chunk). */
async function register(name: TfBackendName): Promise<void> {
  if (name === 'webgl') {
    await import('@tensorflow/tfjs-backend-webgl');
  } else if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // The page is not cross-origin isolated (no SharedArrayBuffer) and its CSP allows no blob: workers.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    // Vite serves the binaries under hashed names; the threaded one is never requested (see above).
    wasm.setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmUrl, 'tfjs-backend-wasm-simd.wasm': wasmSimdUrl, 'tfjs-backend-wasm-threaded-simd.wasm': wasmSimdUrl });
  } else {
    // tfjs-backend-cpu is not a dependency of the page; @microlora/simd-tfjs loads and initialises it.
    const { createTfjsBackend } = await import('@microlora/simd-tfjs/backend');
    await createTfjsBackend({ tfBackend: 'cpu' });
  }
}

async function activate(name: TfBackendName, timeoutMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not initialise within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    await Promise.race([
      (async () => {
        await register(name);
        if (!(await tf.setBackend(name))) throw new Error('tfjs could not initialise it');
        await tf.ready();
      })(),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
  if (tf.getBackend() !== name) throw new Error(`tfjs made ${String(tf.getBackend())} active instead`);
}

/**
 * Makes the first tfjs backend of `order` that initialises the active one: WebGL
 * (also in headless Chromium, through SwiftShader), else WebAssembly, else plain JS.
 * BACKEND_UNAVAILABLE lists every failure when none does.
 */
export async function activateTfBackend(order: readonly TfBackendName[] = TF_BACKENDS, timeoutMs = TF_BACKEND_TIMEOUT_MS): Promise<TfBackendChoice> {
  const skipped: TfBackendChoice['skipped'] = [];
  for (const name of order) {
    const started = performance.now();
    try {
      await activate(name, timeoutMs);
      return { name, initMs: performance.now() - started, skipped };
    } catch (error) {
      skipped.push({ name, reason: short(error) });
    }
  }
  throw new MicroLoraError('BACKEND_UNAVAILABLE', `no tfjs backend initialised: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`, {
    details: { skipped },
  });
}
