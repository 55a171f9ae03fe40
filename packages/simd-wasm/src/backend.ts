import { MicroLoraError, findNonFinite } from '@microlora/core';
import type { LoraWeights } from '@microlora/core';
import {
  assertGemvArgs,
  assertLoraApplyArgs,
  assertLoraBatchArgs,
  assertQuantParams,
  lengthMismatch,
  nonFiniteInput,
} from '@microlora/simd';
import type { SimdOps } from '@microlora/simd';
import { AdapterCache } from './adapter-cache.js';
import { WasmArena } from './arena.js';
import { WasmHeap } from './heap.js';
import {
  compileKernelsAsync,
  compileKernelsSync,
  instantiateKernels,
  instantiateKernelsAsync,
} from './module.js';
import type { CompiledKernels, WasmKernels } from './module.js';

/** Priority of the wasm backend in the registry: above js (1). */
export const WASM_BACKEND_PRIORITY = 2;

/** Default bound of the plain API's adapter cache: ~1300 rank-2 768→768 adapters. */
export const DEFAULT_ADAPTER_CACHE_BYTES = 16 * 1024 * 1024;

export interface WasmBackendOptions {
  /**
   * Bytes of WASM memory the plain API may keep for copies of the adapters passed to
   * loraApply/loraApplyBatch (oldest evicted first). 0 copies each adapter on every call.
   * Default 16 MiB.
   */
  adapterCacheBytes?: number;
  /**
   * WASM memory reserved up front. Growing the memory later detaches every array handed out
   * before (see the README), so callers keeping many blocks or adapters can size it once.
   * Default 1 MiB.
   */
  initialMemoryBytes?: number;
}

/** Memory figures of one wasm backend. */
export interface WasmMemoryStats {
  /** Size of the WASM memory (it grows, never shrinks). */
  memoryBytes: number;
  /** Bytes in live blocks: arena blocks, adapter handles, cached adapters, scratch. */
  bytesInUse: number;
  cachedAdapters: number;
  cachedAdapterBytes: number;
  /** The reusable staging area for arguments that live outside WASM memory. */
  scratchBytes: number;
}

/** The wasm backend: SimdOps plus the WASM-memory arena and cache controls. */
export interface WasmSimdOps extends SimdOps {
  readonly name: 'wasm';
  /** Blocks and adapters in WASM memory: ops on them copy nothing. */
  readonly arena: WasmArena;
  /**
   * Drops the cached WASM copy of an adapter given to the plain API. Needed only after an
   * in-place edit of a few entries (whole rewrites are detected); returns whether one was cached.
   */
  invalidate(lora: LoraWeights): boolean;
  memoryStats(): WasmMemoryStats;
}

const SCRATCH_MIN_BYTES = 64 * 1024;
/** Default WASM memory reserved at creation. */
export const DEFAULT_INITIAL_MEMORY_BYTES = 1024 * 1024;
/** Subarray views of scratch are cached below this length (the key packs ptr + length·2^32). */
const VIEW_CACHE_MAX_LENGTH = 2 ** 21;
const VIEW_CACHE_MAX_ENTRIES = 64;
/** Scales whose reciprocal (or themselves) leave float32's normal range go through exact scalar code. */
const F32_SAFE_SCALE_MIN = 2 ** -125;
const F32_SAFE_SCALE_MAX = 2 ** 125;

/** Markers in the batch pointer table (pointers are ≥ 0). */
const UNRESOLVED = -1;
const PENDING = -2;

/** Rounds up to a multiple of 16 (arithmetic, not bitwise: sizes may exceed 2^31). */
function alignUp16(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

/** One factor in the arena and the other not: neither path (in place, or copied) applies cleanly. */
function halfResident(op: string, label: string): MicroLoraError {
  return new MicroLoraError(
    'INVALID_ARGUMENT',
    `${op}: ${label} has one factor in WASM memory and the other outside it; ` +
      'keep both in the arena (arena.uploadLora, or two arena blocks) or neither',
    { details: { op, label } },
  );
}

/**
 * The factor lengths still match the shape. They were checked on entry; they differ only if
 * a view of WASM memory made outside the arena was detached by a growth during this call.
 */
function assertFactorsIntact(lora: LoraWeights): void {
  if (lora.a.length !== lora.rank * lora.inFeatures || lora.b.length !== lora.rank * lora.outFeatures) {
    throw new MicroLoraError(
      'INVALID_ARGUMENT',
      'an adapter factor lost its contents during the call: it is a view of WASM memory made outside the arena ' +
        '(new Float32Array(arena.buffer, …)), detached when the memory grew; use arena blocks or uploadLora instead',
      { details: { aLength: lora.a.length, bLength: lora.b.length } },
    );
  }
}

function roundHalfAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

/**
 * SimdOps over the WebAssembly SIMD128 kernels. Arguments already in WASM memory (arena
 * blocks, WasmLora handles) are used in place; others are staged through a scratch area
 * (one memcpy each way) and adapters through the adapter cache.
 */
class WasmBackend implements WasmSimdOps {
  readonly name = 'wasm' as const;
  readonly arena: WasmArena;
  private readonly heap: WasmHeap;
  private readonly k: WasmKernels;
  private readonly cache: AdapterCache | undefined;
  private scratchPtr = 0;
  private scratchBytes = 0;
  private readonly f32Views = new Map<number, Float32Array>();
  private readonly i8Views = new Map<number, Int8Array>();
  private viewGeneration = -1;
  private lastF32Key = -1;
  private lastF32View: Float32Array | undefined;
  /** Pointers of the adapter being applied (set by placeAdapter; no allocation per call). */
  private pa = 0;
  private pb = 0;
  private batchA = new Float64Array(8);
  private batchB = new Float64Array(8);

  constructor(kernels: WasmKernels, options: WasmBackendOptions) {
    const cacheBytes = options.adapterCacheBytes ?? DEFAULT_ADAPTER_CACHE_BYTES;
    if (typeof cacheBytes !== 'number' || !(cacheBytes >= 0)) {
      throw new MicroLoraError('INVALID_ARGUMENT', `adapterCacheBytes must be a number ≥ 0, got ${String(cacheBytes)}`, {
        details: { adapterCacheBytes: cacheBytes },
      });
    }
    const initialBytes = options.initialMemoryBytes ?? DEFAULT_INITIAL_MEMORY_BYTES;
    if (typeof initialBytes !== 'number' || !(initialBytes >= 0 && initialBytes <= 2 ** 32)) {
      throw new MicroLoraError('INVALID_ARGUMENT', `initialMemoryBytes must be a number in [0, 2^32], got ${String(initialBytes)}`, {
        details: { initialMemoryBytes: initialBytes },
      });
    }
    this.k = kernels;
    this.heap = new WasmHeap(kernels.memory, kernels.heapBase());
    this.heap.reserve(initialBytes);
    this.arena = new WasmArena(this.heap);
    this.cache = cacheBytes > 0 ? new AdapterCache(this.heap, cacheBytes) : undefined;
  }

  invalidate(lora: LoraWeights): boolean {
    return this.cache?.invalidate(lora) ?? false;
  }

  memoryStats(): WasmMemoryStats {
    return {
      memoryBytes: this.heap.memoryBytes,
      bytesInUse: this.heap.bytesInUse,
      cachedAdapters: this.cache?.count ?? 0,
      cachedAdapterBytes: this.cache?.bytes ?? 0,
      scratchBytes: this.scratchBytes,
    };
  }

  dot(a: Float32Array, b: Float32Array): number {
    const n = a.length;
    if (b.length !== n) throw lengthMismatch('dot', 'b', b.length, 'a', n);
    const heap = this.heap;
    let pa = heap.residentPtr(a);
    let pb = heap.residentPtr(b);
    if (pa < 0 || pb < 0) {
      const bytes = alignUp16(n * 4);
      const s = this.scratch(2 * bytes);
      const f32 = heap.f32;
      if (pa < 0) f32.set(a, (pa = s) >>> 2);
      if (pb < 0) f32.set(b, (pb = s + bytes) >>> 2);
    }
    return this.k.dot(pa, pb, n);
  }

  axpy(alpha: number, x: Float32Array, y: Float32Array): void {
    const n = x.length;
    if (y.length !== n) throw lengthMismatch('axpy', 'y', y.length, 'x', n);
    const heap = this.heap;
    let px = heap.residentPtr(x);
    let py = heap.residentPtr(y);
    const yIn = py >= 0;
    if (px < 0 || !yIn) {
      const bytes = alignUp16(n * 4);
      const s = this.scratch(2 * bytes);
      const f32 = heap.f32;
      if (px < 0) f32.set(x, (px = s) >>> 2);
      if (!yIn) f32.set(y, (py = s + bytes) >>> 2);
    }
    this.k.axpy(alpha, px, py, n);
    if (!yIn) y.set(this.f32View(py, n));
  }

  scale(x: Float32Array, alpha: number, out: Float32Array): void {
    const n = x.length;
    if (out.length !== n) throw lengthMismatch('scale', 'out', out.length, 'x', n);
    const heap = this.heap;
    let px = heap.residentPtr(x);
    let po = heap.residentPtr(out);
    const outIn = po >= 0;
    if (px < 0 || !outIn) {
      const bytes = alignUp16(n * 4);
      const s = this.scratch(2 * bytes);
      if (px < 0) heap.f32.set(x, (px = s) >>> 2);
      if (!outIn) po = s + bytes;
    }
    this.k.scale(px, alpha, po, n);
    if (!outIn) out.set(this.f32View(po, n));
  }

  lerp(a: Float32Array, b: Float32Array, t: number, out: Float32Array): void {
    const n = a.length;
    if (b.length !== n) throw lengthMismatch('lerp', 'b', b.length, 'a', n);
    if (out.length !== n) throw lengthMismatch('lerp', 'out', out.length, 'a', n);
    const heap = this.heap;
    let pa = heap.residentPtr(a);
    let pb = heap.residentPtr(b);
    let po = heap.residentPtr(out);
    const outIn = po >= 0;
    if (pa < 0 || pb < 0 || !outIn) {
      const bytes = alignUp16(n * 4);
      const s = this.scratch(3 * bytes);
      const f32 = heap.f32;
      if (pa < 0) f32.set(a, (pa = s) >>> 2);
      if (pb < 0) f32.set(b, (pb = s + bytes) >>> 2);
      if (!outIn) po = s + 2 * bytes;
    }
    this.k.lerp(pa, pb, t, po, n);
    if (!outIn) out.set(this.f32View(po, n));
  }

  softmax(x: Float32Array, out: Float32Array): void {
    const n = x.length;
    if (out.length !== n) throw lengthMismatch('softmax', 'out', out.length, 'x', n);
    const heap = this.heap;
    let px = heap.residentPtr(x);
    let po = heap.residentPtr(out);
    const outIn = po >= 0;
    if (px < 0 || !outIn) {
      const bytes = alignUp16(n * 4);
      const s = this.scratch(2 * bytes);
      if (px < 0) heap.f32.set(x, (px = s) >>> 2);
      if (!outIn) po = s + bytes;
    }
    // The kernel checks every value before writing anything.
    if (this.k.softmax(px, po, n) !== 0) throw this.nonFinite('softmax', px, n);
    if (!outIn) out.set(this.f32View(po, n));
  }

  maxAbs(x: Float32Array): number {
    const n = x.length;
    let px = this.heap.residentPtr(x);
    if (px < 0) this.heap.f32.set(x, (px = this.scratch(n * 4)) >>> 2);
    return this.k.maxAbs(px, n);
  }

  gemv(m: Float32Array, rows: number, cols: number, x: Float32Array, y: Float32Array, alpha = 1, beta = 0): void {
    assertGemvArgs(m, rows, cols, x, y);
    const heap = this.heap;
    let pm = heap.residentPtr(m);
    let px = heap.residentPtr(x);
    let py = heap.residentPtr(y);
    const yIn = py >= 0;
    if (pm < 0 || px < 0 || !yIn) {
      const mBytes = pm < 0 ? alignUp16(m.length * 4) : 0;
      const xBytes = px < 0 ? alignUp16(cols * 4) : 0;
      const s = this.scratch(mBytes + xBytes + rows * 4);
      const f32 = heap.f32;
      if (pm < 0) f32.set(m, (pm = s) >>> 2);
      if (px < 0) f32.set(x, (px = s + mBytes) >>> 2);
      if (!yIn) {
        py = s + mBytes + xBytes;
        if (beta !== 0) f32.set(y, py >>> 2); // beta = 0 never reads y
      }
    }
    this.k.gemv(pm, rows, cols, px, py, alpha, beta);
    if (!yIn) y.set(this.f32View(py, rows));
  }

  loraApply(lora: LoraWeights, x: Float32Array, y: Float32Array, scale = 1): void {
    assertLoraApplyArgs(lora, x, y);
    const n = lora.inFeatures;
    const m = lora.outFeatures;
    // Resident pointers are read before anything allocates (growth detaches the views).
    let px = this.heap.residentPtr(x);
    let py = this.heap.residentPtr(y);
    const yIn = py >= 0;
    const xBytes = px < 0 ? alignUp16(n * 4) : 0;
    const yBytes = yIn ? 0 : alignUp16(m * 4);
    const at = this.resolveAdapter(lora, xBytes + yBytes);
    if (px < 0 || !yIn) {
      const f32 = this.heap.f32;
      if (px < 0) f32.set(x, (px = at) >>> 2);
      if (!yIn) f32.set(y, (py = at + xBytes) >>> 2);
    }
    this.k.loraApply(this.pa, this.pb, lora.rank, n, m, px, py, lora.scaling * scale);
    if (!yIn) y.set(this.f32View(py, m));
  }

  loraApplyBatch(adapters: readonly LoraWeights[], adapterIndex: Int32Array, x: Float32Array, y: Float32Array, rows: number): void {
    assertLoraBatchArgs(adapters, adapterIndex, x, y, rows);
    const first = adapters[0];
    if (first === undefined || rows === 0) return; // every index is negative (checked): nothing to add
    const n = first.inFeatures;
    const m = first.outFeatures;
    const heap = this.heap;
    let px = heap.residentPtr(x);
    let py = heap.residentPtr(y);
    const yIn = py >= 0;
    const xBytes = px < 0 ? alignUp16(rows * n * 4) : 0;
    const yBytes = yIn ? 0 : alignUp16(rows * m * 4);
    const count = adapters.length;
    if (this.batchA.length < count) {
      this.batchA = new Float64Array(Math.max(count, 2 * this.batchA.length));
      this.batchB = new Float64Array(this.batchA.length);
    }
    const batchA = this.batchA.fill(UNRESOLVED, 0, count);
    const batchB = this.batchB;
    // Pass 1, before anything allocates: pointers of resident adapters (a growth would detach
    // their views), and the scratch the others need when there is no cache to hold them.
    let stagedBytes = 0;
    for (let r = 0; r < rows; r++) {
      const k = adapterIndex[r] as number;
      if (k < 0 || batchA[k] !== UNRESOLVED) continue;
      const lora = adapters[k] as LoraWeights;
      const pa = heap.residentPtr(lora.a);
      const pb = heap.residentPtr(lora.b);
      if (pa >= 0 && pb >= 0) {
        batchA[k] = pa;
        batchB[k] = pb;
      } else if (pa >= 0 || pb >= 0) {
        throw halfResident('loraApplyBatch', `adapters[${k}]`);
      } else {
        batchA[k] = PENDING;
        if (this.cache === undefined) stagedBytes += alignUp16(lora.a.length * 4) + alignUp16(lora.b.length * 4);
      }
    }
    // Pass 2: the others, from the cache or staged in scratch after x and y.
    this.cache?.trim();
    const s = this.scratch(xBytes + yBytes + stagedBytes);
    let stageAt = s + xBytes + yBytes;
    for (let k = 0; k < count; k++) {
      if (batchA[k] !== PENDING) continue;
      stageAt += this.placeAdapter(adapters[k] as LoraWeights, stageAt);
      batchA[k] = this.pa;
      batchB[k] = this.pb;
    }
    const f32 = heap.f32;
    if (px < 0) f32.set(x, (px = s) >>> 2);
    if (!yIn) f32.set(y, (py = s + xBytes) >>> 2);
    const kernel = this.k;
    const xRow = n * 4;
    const yRow = m * 4;
    for (let r = 0; r < rows; r++) {
      const k = adapterIndex[r] as number;
      if (k < 0) continue;
      const lora = adapters[k] as LoraWeights;
      kernel.loraApply(batchA[k] as number, batchB[k] as number, lora.rank, n, m, px + r * xRow, py + r * yRow, lora.scaling);
    }
    if (!yIn) y.set(this.f32View(py, rows * m));
  }

  quantizeI8(x: Float32Array, scale: number, out: Int8Array, zeroPoint = 0): void {
    const n = x.length;
    if (out.length !== n) throw lengthMismatch('quantizeI8', 'out', out.length, 'x', n);
    assertQuantParams('quantizeI8', scale, zeroPoint);
    const heap = this.heap;
    let px = heap.residentPtr(x);
    let po = heap.residentPtr(out);
    const outIn = po >= 0;
    if (px < 0 || !outIn) {
      const bytes = alignUp16(n * 4);
      const s = this.scratch(bytes + n);
      if (px < 0) heap.f32.set(x, (px = s) >>> 2);
      if (!outIn) po = s + bytes;
    }
    if (this.k.hasNonFinite(px, n) !== 0) throw this.nonFinite('quantizeI8', px, n);
    if (scale >= F32_SAFE_SCALE_MIN && scale <= F32_SAFE_SCALE_MAX) this.k.quantizeI8(px, n, 1 / scale, zeroPoint, po);
    else this.quantizeScalar(px, n, scale, zeroPoint, po);
    if (!outIn) out.set(this.i8View(po, n));
  }

  dequantizeI8(q: Int8Array, scale: number, out: Float32Array, zeroPoint = 0): void {
    const n = q.length;
    if (out.length !== n) throw lengthMismatch('dequantizeI8', 'out', out.length, 'q', n);
    assertQuantParams('dequantizeI8', scale, zeroPoint);
    const heap = this.heap;
    let pq = heap.residentPtr(q);
    let po = heap.residentPtr(out);
    const outIn = po >= 0;
    if (pq < 0 || !outIn) {
      const qBytes = alignUp16(n);
      const s = this.scratch(qBytes + n * 4);
      if (pq < 0) heap.i8.set(q, (pq = s));
      if (!outIn) po = s + qBytes;
    }
    if (scale >= F32_SAFE_SCALE_MIN && scale <= F32_SAFE_SCALE_MAX) this.k.dequantizeI8(pq, n, scale, zeroPoint, po);
    else this.dequantizeScalar(pq, n, scale, zeroPoint, po);
    if (!outIn) out.set(this.f32View(po, n));
  }

  // ───────────── staging ─────────────

  /** A scratch area of at least `bytes` (its previous contents are not kept). */
  private scratch(bytes: number): number {
    if (bytes > this.scratchBytes) {
      if (this.scratchBytes > 0) this.heap.free(this.scratchPtr);
      const size = Math.max(alignUp16(bytes), 2 * this.scratchBytes, SCRATCH_MIN_BYTES);
      this.scratchPtr = this.heap.alloc(size);
      this.scratchBytes = size;
    }
    return this.scratchPtr;
  }

  /** Both factors are views this heap made (a WasmLora of this backend, or arena blocks). */
  private isResident(lora: LoraWeights): boolean {
    return this.heap.residentPtr(lora.a) >= 0 && this.heap.residentPtr(lora.b) >= 0;
  }

  /**
   * Sets pa/pb for the adapter and reserves scratch for `argBytes` of staged arguments;
   * returns where in WASM memory those arguments go (after the adapter, when it is staged).
   */
  private resolveAdapter(lora: LoraWeights, argBytes: number): number {
    if (this.cache !== undefined || this.isResident(lora)) {
      this.cache?.trim();
      this.placeAdapter(lora, -1);
      return this.scratch(argBytes);
    }
    const adapterBytes = alignUp16(lora.a.length * 4) + alignUp16(lora.b.length * 4);
    const s = this.scratch(adapterBytes + argBytes);
    this.placeAdapter(lora, s);
    return s + adapterBytes;
  }

  /**
   * Sets pa/pb: in place for resident adapters, else through the cache, else (no cache) by
   * copying into scratch at `stageAt`. Returns the scratch bytes it used.
   */
  private placeAdapter(lora: LoraWeights, stageAt: number): number {
    const heap = this.heap;
    const pa = heap.residentPtr(lora.a);
    const pb = heap.residentPtr(lora.b);
    if (pa >= 0 && pb >= 0) {
      this.pa = pa;
      this.pb = pb;
      return 0;
    }
    if (pa >= 0 || pb >= 0) throw halfResident('loraApply', 'lora');
    assertFactorsIntact(lora);
    if (this.cache !== undefined) {
      const entry = this.cache.resolve(lora);
      this.pa = entry.ptrA;
      this.pb = entry.ptrB;
      return 0;
    }
    const bytesA = alignUp16(lora.a.length * 4);
    const f32 = heap.f32;
    f32.set(lora.a, (this.pa = stageAt) >>> 2);
    f32.set(lora.b, (this.pb = stageAt + bytesA) >>> 2);
    return bytesA + alignUp16(lora.b.length * 4);
  }

  /** A cached subarray of WASM memory, so copying results out allocates nothing in steady state. */
  private f32View(ptr: number, length: number): Float32Array {
    const key = ptr + length * 2 ** 32;
    // Repeated calls of one shape hit the last view without a Map lookup.
    if (key === this.lastF32Key && this.viewGeneration === this.heap.generation) return this.lastF32View as Float32Array;
    if (length >= VIEW_CACHE_MAX_LENGTH) return new Float32Array(this.heap.buffer, ptr, length);
    this.syncViewCaches();
    let view = this.f32Views.get(key);
    if (view === undefined) {
      if (this.f32Views.size >= VIEW_CACHE_MAX_ENTRIES) this.f32Views.clear();
      view = new Float32Array(this.heap.buffer, ptr, length);
      this.f32Views.set(key, view);
    }
    this.lastF32Key = key;
    this.lastF32View = view;
    return view;
  }

  private i8View(ptr: number, length: number): Int8Array {
    if (length >= VIEW_CACHE_MAX_LENGTH) return new Int8Array(this.heap.buffer, ptr, length);
    this.syncViewCaches();
    const key = ptr + length * 2 ** 32;
    let view = this.i8Views.get(key);
    if (view === undefined) {
      if (this.i8Views.size >= VIEW_CACHE_MAX_ENTRIES) this.i8Views.clear();
      view = new Int8Array(this.heap.buffer, ptr, length);
      this.i8Views.set(key, view);
    }
    return view;
  }

  private syncViewCaches(): void {
    if (this.viewGeneration !== this.heap.generation) {
      this.f32Views.clear();
      this.i8Views.clear();
      this.lastF32Key = -1;
      this.viewGeneration = this.heap.generation;
    }
  }

  /** The NON_FINITE error naming the first bad entry of the n values at ptr. */
  private nonFinite(op: string, ptr: number, n: number): MicroLoraError {
    const values = this.heap.f32.subarray(ptr >>> 2, (ptr >>> 2) + n);
    const i = findNonFinite(values);
    return nonFiniteInput(op, 'x', i, values[i] as number);
  }

  /** The reference formula, for scales outside float32's normal range. */
  private dequantizeScalar(pq: number, n: number, scale: number, zeroPoint: number, po: number): void {
    const f32 = this.heap.f32;
    const i8 = this.heap.i8;
    const o = po >>> 2;
    for (let i = 0; i < n; i++) f32[o + i] = ((i8[pq + i] as number) - zeroPoint) * scale;
  }

  /** The reference formula, for scales whose float32 reciprocal would be inexact or overflow. */
  private quantizeScalar(px: number, n: number, scale: number, zeroPoint: number, po: number): void {
    const f32 = this.heap.f32;
    const i8 = this.heap.i8;
    for (let i = 0; i < n; i++) {
      const q = roundHalfAway((f32[(px >>> 2) + i] as number) / scale) + zeroPoint;
      i8[po + i] = q > 127 ? 127 : q < -128 ? -128 : q;
    }
  }
}

let compiled: CompiledKernels | undefined;

/**
 * Creates the wasm backend synchronously: compiles the embedded module (once per process),
 * instantiates it with its own memory. Throws BACKEND_UNAVAILABLE with the reason where
 * WebAssembly SIMD128 is missing or synchronous compilation is refused.
 */
export function createWasmBackend(options: WasmBackendOptions = {}): WasmSimdOps {
  compiled ??= compileKernelsSync();
  return new WasmBackend(instantiateKernels(compiled), options);
}

/**
 * Creates the wasm backend with asynchronous compilation and instantiation: for browser main
 * threads that refuse synchronous compilation of modules over 4 KB (this one is smaller, but
 * an engine may set a lower limit), and to keep start-up off the critical path.
 */
export async function initWasmBackend(options: WasmBackendOptions = {}): Promise<WasmSimdOps> {
  compiled ??= await compileKernelsAsync();
  return new WasmBackend(await instantiateKernelsAsync(compiled), options);
}
