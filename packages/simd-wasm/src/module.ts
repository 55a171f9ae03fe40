import { MicroLoraError } from '@microlora/core';
import { KERNELS_WASM_BASE64, KERNELS_WASM_BYTE_LENGTH } from './generated/wasm-bytes.js';

// The WebAssembly JS API is typed by lib.dom, which this package does not load (and must not
// require of its users): the few members used are declared here and read from globalThis.

/** The kernels module's memory (WebAssembly.Memory). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  /** Grows by `pages` 64 KiB pages; returns the previous size in pages; throws RangeError when it cannot. */
  grow(pages: number): number;
}

/** A compiled kernels module (WebAssembly.Module), opaque. */
export interface CompiledKernels {
  readonly __compiledKernels?: never;
}

interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => CompiledKernels;
  Instance: new (module: CompiledKernels, imports: object) => { readonly exports: unknown };
  compile(bytes: Uint8Array): Promise<CompiledKernels>;
  instantiate(module: CompiledKernels, imports: object): Promise<{ readonly exports: unknown }>;
}

function webAssembly(): WebAssemblyApi | undefined {
  const api = (globalThis as { WebAssembly?: unknown }).WebAssembly;
  if (typeof api !== 'object' || api === null) return undefined;
  return typeof (api as { validate?: unknown }).validate === 'function' ? (api as WebAssemblyApi) : undefined;
}

/** The exports of asm/kernels.ts. Pointers are byte offsets into `memory`; counts are elements. */
export interface WasmKernels {
  readonly memory: WasmMemory;
  heapBase(): number;
  dot(a: number, b: number, n: number): number;
  axpy(alpha: number, x: number, y: number, n: number): void;
  scale(x: number, alpha: number, out: number, n: number): void;
  lerp(a: number, b: number, t: number, out: number, n: number): void;
  maxAbs(x: number, n: number): number;
  hasNonFinite(x: number, n: number): number;
  /** 1 (nothing written) when x holds a NaN or ±∞, else 0. */
  softmax(x: number, out: number, n: number): number;
  gemv(m: number, rows: number, cols: number, x: number, y: number, alpha: number, beta: number): void;
  loraApply(a: number, b: number, rank: number, n: number, m: number, x: number, y: number, s: number): void;
  quantizeI8(x: number, n: number, inv: number, zeroPoint: number, out: number): void;
  dequantizeI8(q: number, n: number, scale: number, zeroPoint: number, out: number): void;
}

/** Size of the embedded kernels module in bytes (Chromium compiles ≤ 4096 synchronously on the main thread). */
export const WASM_MODULE_BYTE_LENGTH: number = KERNELS_WASM_BYTE_LENGTH;

/** The largest module Chromium compiles synchronously on the main thread. */
export const SYNC_COMPILE_LIMIT_BYTES = 4096;

// A function returning i8x16.popcnt(i8x16.splat(0)): validates only where SIMD128 is supported.
const SIMD_PROBE = Uint8Array.of(
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
);

let decoded: Uint8Array | undefined;

/** The embedded kernels module (decoded once; the same array on every call, do not modify). */
export function wasmModuleBytes(): Uint8Array {
  if (decoded === undefined) {
    decoded = decodeBase64(KERNELS_WASM_BASE64);
  }
  return decoded;
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 (with padding) to bytes; no Buffer or atob, so it runs in any JS engine. */
export function decodeBase64(text: string): Uint8Array {
  const value = new Uint8Array(128).fill(255);
  for (let i = 0; i < 64; i++) value[BASE64_ALPHABET.charCodeAt(i)] = i;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  if (text.length % 4 !== 0) throw new MicroLoraError('CORRUPT_DATA', `base64 text has length ${text.length}, not a multiple of 4`);
  const bytes = new Uint8Array((text.length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let word = 0;
    for (let j = 0; j < 4; j++) {
      const c = text.charCodeAt(i + j);
      const v = c === 61 && i + j >= text.length - padding ? 0 : c < 128 ? (value[c] as number) : 255;
      if (v === 255) throw new MicroLoraError('CORRUPT_DATA', `invalid base64 character at ${i + j}`);
      word = (word << 6) | v;
    }
    bytes[o++] = word >>> 16;
    if (o < bytes.length) bytes[o++] = (word >>> 8) & 255;
    if (o < bytes.length) bytes[o++] = word & 255;
  }
  return bytes;
}

/** Why this engine cannot run the kernels (no WebAssembly, no SIMD128), or undefined when it can. */
export function wasmSimdUnavailableReason(): string | undefined {
  const api = webAssembly();
  if (api === undefined) return 'WebAssembly is not available in this environment';
  let simd: boolean;
  try {
    simd = api.validate(SIMD_PROBE);
  } catch (err) {
    return `WebAssembly.validate failed on a SIMD128 probe: ${err instanceof Error ? err.message : String(err)}`;
  }
  return simd
    ? undefined
    : 'this engine does not support WebAssembly SIMD128 (needs Chrome/Edge 91+, Firefox 89+, Safari 16.4+, Node 16.4+)';
}

function unavailable(reason: string, cause?: unknown): MicroLoraError {
  return new MicroLoraError(
    'BACKEND_UNAVAILABLE',
    `the wasm SIMD backend cannot start: ${reason}; the registry falls back to the "js" backend`,
    { details: { backend: 'wasm', reason }, ...(cause === undefined ? {} : { cause }) },
  );
}

function supportedApi(): WebAssemblyApi {
  const reason = wasmSimdUnavailableReason();
  const api = webAssembly();
  if (reason !== undefined || api === undefined) throw unavailable(reason ?? 'WebAssembly is not available in this environment');
  return api;
}

/** Compiles the embedded module synchronously. BACKEND_UNAVAILABLE when SIMD is missing or compilation fails. */
export function compileKernelsSync(): CompiledKernels {
  const api = supportedApi();
  try {
    return new api.Module(wasmModuleBytes());
  } catch (err) {
    throw unavailable(
      `synchronous compilation of the ${WASM_MODULE_BYTE_LENGTH}-byte kernels module failed ` +
        `(${err instanceof Error ? err.message : String(err)}); where synchronous compilation is refused, ` +
        'await initWasmBackend() instead',
      err,
    );
  }
}

/** Compiles the embedded module off the main thread's critical path. */
export async function compileKernelsAsync(): Promise<CompiledKernels> {
  const api = supportedApi();
  try {
    return await api.compile(wasmModuleBytes());
  } catch (err) {
    throw unavailable(`compiling the kernels module failed (${err instanceof Error ? err.message : String(err)})`, err);
  }
}

/** Instantiates a compiled kernels module synchronously (it has no imports). */
export function instantiateKernels(module: CompiledKernels): WasmKernels {
  const api = supportedApi();
  try {
    return new api.Instance(module, {}).exports as WasmKernels;
  } catch (err) {
    throw unavailable(`instantiating the kernels module failed (${err instanceof Error ? err.message : String(err)})`, err);
  }
}

/** Instantiates a compiled kernels module asynchronously. */
export async function instantiateKernelsAsync(module: CompiledKernels): Promise<WasmKernels> {
  const api = supportedApi();
  try {
    return (await api.instantiate(module, {})).exports as WasmKernels;
  } catch (err) {
    throw unavailable(`instantiating the kernels module failed (${err instanceof Error ? err.message : String(err)})`, err);
  }
}
