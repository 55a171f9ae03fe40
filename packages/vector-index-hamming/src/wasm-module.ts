import { MicroLoraError } from '@microlora/core';
import { HAMMING_WASM_BASE64, HAMMING_WASM_BYTE_LENGTH } from './generated/wasm-bytes.js';

// The WebAssembly JS API is typed by lib.dom, which this package does not load (and must not
// require of its users): the few members used are declared here and read from globalThis.

/** A kernels instance's memory (WebAssembly.Memory). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  /** Grows by `pages` 64 KiB pages; throws RangeError when it cannot. */
  grow(pages: number): number;
}

/** A compiled module (WebAssembly.Module), opaque. */
interface CompiledModule {
  readonly __compiledModule?: never;
}

interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => CompiledModule;
  Instance: new (module: CompiledModule, imports: object) => { readonly exports: unknown };
  compile(bytes: Uint8Array): Promise<CompiledModule>;
}

/**
 * The exports of asm/kernels.ts. Every pointer is a byte offset into `memory`; see the
 * AssemblyScript source for the exact contract of each kernel.
 */
export interface HammingKernels {
  readonly memory: WasmMemory;
  scan4(codes: number, first: number, count: number, q: number, dist: number): void;
  scan8(codes: number, first: number, count: number, q: number, dist: number): void;
  scanWords(codes: number, words: number, first: number, count: number, q: number, dist: number): void;
  histogramSample(dist: number, first: number, count: number, step: number, hist: number): void;
  collectRange(dist: number, lanes: number, first: number, count: number, t: number, ids: number, m: number): number;
  gatherHamming(codes: number, stride: number, words: number, ids: number, m: number, q: number, dist: number, out: number): void;
  selectSmallest(vals: number, ids: number, m: number, c: number, bins: number, hist: number, out: number): number;
  dotHigh(hi: number, stride: number, len: number, q: number, ids: number, m: number, out: number): void;
  dotFull(rows: number, stride: number, len: number, q: number, ids: number, m: number, out: number): void;
  l2Full(rows: number, stride: number, len: number, scales: number, q: number, ids: number, m: number, out: number): void;
  encodeSigns(v: number, flips: number, n: number, out1: number, w1: number, out2: number): void;
  prepareQuery(q: number, n: number, len: number, unit: number, rot: number, rotation: number, q16: number, limit: number): number;
}

/** Size of the embedded kernels module in bytes (Chromium compiles ≤ 4096 synchronously on the main thread). */
export const HAMMING_KERNELS_BYTE_LENGTH: number = HAMMING_WASM_BYTE_LENGTH;

let compiled: CompiledModule | undefined;
let bytes: Uint8Array | undefined;

function webAssembly(): WebAssemblyApi {
  const api = (globalThis as { WebAssembly?: unknown }).WebAssembly;
  if (typeof api !== 'object' || api === null || typeof (api as { Module?: unknown }).Module !== 'function') {
    throw new MicroLoraError(
      'BACKEND_UNAVAILABLE',
      'the Hamming index needs WebAssembly (with SIMD128), which this JavaScript engine does not provide; use createFlatIndex from @microlora/vector-index instead',
    );
  }
  return api as WebAssemblyApi;
}

function moduleBytes(): Uint8Array {
  bytes ??= decodeBase64(HAMMING_WASM_BASE64);
  return bytes;
}

function unavailable(cause: unknown): MicroLoraError {
  return new MicroLoraError(
    'BACKEND_UNAVAILABLE',
    `the Hamming index kernels failed to compile (WebAssembly SIMD128 is required: Node ≥ 16.4, Chrome ≥ 91, Firefox ≥ 89, Safari ≥ 16.4): ${String(cause)}`,
    { cause },
  );
}

/**
 * Compiles the kernels asynchronously. Optional: createHammingIndex compiles synchronously
 * on first use (the module is small enough for browsers' main thread), but awaiting this
 * first moves the work off the critical path and works under any size limit.
 */
export async function initHammingKernels(): Promise<void> {
  if (compiled !== undefined) return;
  try {
    compiled = await webAssembly().compile(moduleBytes());
  } catch (cause) {
    if (cause instanceof MicroLoraError) throw cause;
    throw unavailable(cause);
  }
}

/** A fresh kernels instance with its own memory (compiles the module once, synchronously). */
export function instantiateKernels(): HammingKernels {
  const api = webAssembly();
  try {
    compiled ??= new api.Module(moduleBytes());
    return new api.Instance(compiled, {}).exports as HammingKernels;
  } catch (cause) {
    throw unavailable(cause);
  }
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard padded base64 to bytes, with no Buffer or atob (the embedded module is trusted). */
function decodeBase64(text: string): Uint8Array {
  const value = new Uint8Array(128);
  for (let i = 0; i < 64; i++) value[BASE64_ALPHABET.charCodeAt(i)] = i;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const n =
      ((value[text.charCodeAt(i)] as number) << 18) |
      ((value[text.charCodeAt(i + 1)] as number) << 12) |
      ((value[text.charCodeAt(i + 2)] as number) << 6) |
      (value[text.charCodeAt(i + 3)] as number);
    if (o < out.length) out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}
