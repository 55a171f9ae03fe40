import { MicroLoraError, assertInteger, assertLoraShape } from '@microlora/core';
import type { LoraWeights } from '@microlora/core';
import { assertLoraFactors } from '@microlora/simd';
import type { WasmHeap } from './heap.js';

/** Largest element count of one block (the wasm32 address space). */
const MAX_BLOCK_BYTES = 2 ** 32;

/**
 * Frees a block's memory once neither the block nor any view it handed out is reachable.
 * Views point at the block through a WeakMap entry (view → block), so keeping only
 * `block.array` keeps the block, and therefore its memory, alive.
 */
export class Lifetimes {
  private readonly finalizer: FinalizationRegistry<number>;
  private readonly owners = new WeakMap<object, object>();

  constructor(heap: WasmHeap) {
    this.finalizer = new FinalizationRegistry((ptr: number) => {
      try {
        heap.free(ptr);
      } catch {
        // never thrown into the event loop: a finalizer has no caller to report to
      }
    });
  }

  track(owner: object, ptr: number): void {
    this.finalizer.register(owner, ptr, owner);
  }

  untrack(owner: object): void {
    this.finalizer.unregister(owner);
  }

  view<V extends object>(view: V, owner: object): V {
    this.owners.set(view, owner);
    return view;
  }
}

function freedError(what: string): MicroLoraError {
  return new MicroLoraError('INVALID_ARGUMENT', `this ${what} was freed; allocate a new one`, { details: { what } });
}

/** A block of WASM memory seen as one typed array. */
abstract class WasmBlock<V extends Float32Array | Int8Array> {
  private cached: V | undefined;
  private cachedGeneration = -1;
  private released = false;

  /** @param ptr byte offset in WASM memory; @param length element count */
  protected constructor(
    protected readonly heap: WasmHeap,
    private readonly lifetimes: Lifetimes,
    readonly ptr: number,
    readonly length: number,
  ) {
    lifetimes.track(this, ptr);
  }

  protected abstract makeView(): V;

  /**
   * The block's contents as a typed array over WASM memory. Pass it to the backend's ops to
   * skip every copy. Growing the memory detaches earlier arrays (their length becomes 0):
   * read `array` again after any call that may allocate rather than keeping an old one.
   */
  get array(): V {
    if (this.cachedGeneration !== this.heap.generation || this.cached === undefined) {
      if (this.released) throw freedError('WASM block');
      this.cached = this.lifetimes.view(this.makeView(), this);
      this.cachedGeneration = this.heap.generation;
    }
    return this.cached;
  }

  /** True once free() ran. */
  get freed(): boolean {
    return this.released;
  }

  /** Returns the memory now (otherwise it returns when the block and its arrays are garbage-collected). Idempotent. */
  free(): void {
    if (this.released) return;
    this.released = true;
    this.cached = undefined;
    this.lifetimes.untrack(this);
    this.heap.free(this.ptr);
  }
}

/** float32 values in WASM memory. */
export class WasmF32Block extends WasmBlock<Float32Array> {
  /** @internal Use `backend.arena.allocF32(length)`. */
  constructor(heap: WasmHeap, lifetimes: Lifetimes, length: number) {
    super(heap, lifetimes, heap.alloc(length * 4), length);
  }

  protected makeView(): Float32Array {
    return this.heap.f32View(this.ptr, this.length);
  }
}

/** int8 values in WASM memory. */
export class WasmI8Block extends WasmBlock<Int8Array> {
  /** @internal Use `backend.arena.allocI8(length)`. */
  constructor(heap: WasmHeap, lifetimes: Lifetimes, length: number) {
    super(heap, lifetimes, heap.alloc(length), length);
  }

  protected makeView(): Int8Array {
    return this.heap.i8View(this.ptr, this.length);
  }
}

/**
 * A LoRA adapter whose factors live in WASM memory. It is a LoraWeights: pass it to
 * `loraApply`/`loraApplyBatch` and nothing is copied or cached. `a` and `b` are views of
 * the WASM copy, so editing them in place edits the adapter the kernels read.
 */
export class WasmLora implements LoraWeights {
  readonly rank: number;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly layerMask: bigint;
  /** Byte offset of `a` (rank × inFeatures) in WASM memory. */
  readonly ptrA: number;
  /** Byte offset of `b` (Bᵀ, rank × outFeatures) in WASM memory. */
  readonly ptrB: number;
  private alphaValue: number;
  private viewA: Float32Array | undefined;
  private viewB: Float32Array | undefined;
  private viewGeneration = -1;
  private released = false;

  /** @internal Use `backend.arena.uploadLora(lora)`. */
  constructor(
    private readonly heap: WasmHeap,
    private readonly lifetimes: Lifetimes,
    lora: LoraWeights,
  ) {
    this.rank = lora.rank;
    this.inFeatures = lora.inFeatures;
    this.outFeatures = lora.outFeatures;
    this.layerMask = lora.layerMask;
    this.alphaValue = lora.alpha;
    const bytesA = Math.ceil((lora.rank * lora.inFeatures) / 4) * 16;
    this.ptrA = heap.alloc(bytesA + lora.rank * lora.outFeatures * 4);
    this.ptrB = this.ptrA + bytesA;
    lifetimes.track(this, this.ptrA);
    this.copyFactors(lora);
  }

  get alpha(): number {
    return this.alphaValue;
  }

  get scaling(): number {
    return this.alphaValue / this.rank;
  }

  /** A view of A in WASM memory (re-created after the memory grows; read it again rather than keeping it). */
  get a(): Float32Array {
    if (this.viewGeneration !== this.heap.generation) this.refreshViews();
    return this.viewA as Float32Array;
  }

  /** A view of Bᵀ in WASM memory (re-created after the memory grows). */
  get b(): Float32Array {
    if (this.viewGeneration !== this.heap.generation) this.refreshViews();
    return this.viewB as Float32Array;
  }

  get freed(): boolean {
    return this.released;
  }

  /** Copies another adapter of the same shape in (factors and alpha). */
  write(lora: LoraWeights): void {
    if (this.released) throw freedError('WASM adapter');
    if (lora.rank !== this.rank || lora.inFeatures !== this.inFeatures || lora.outFeatures !== this.outFeatures) {
      throw new MicroLoraError(
        'DIMENSION_MISMATCH',
        `write: adapter is rank ${lora.rank} ${lora.inFeatures}→${lora.outFeatures} but this handle is rank ${this.rank} ` +
          `${this.inFeatures}→${this.outFeatures}; upload it as a new handle instead`,
        { details: { rank: lora.rank, inFeatures: lora.inFeatures, outFeatures: lora.outFeatures } },
      );
    }
    assertLoraFactors('write', lora);
    this.copyFactors(lora);
    this.alphaValue = lora.alpha;
  }

  /** Returns the memory now (otherwise it returns when the handle and its views are garbage-collected). Idempotent. */
  free(): void {
    if (this.released) return;
    this.released = true;
    this.viewA = undefined;
    this.viewB = undefined;
    this.viewGeneration = -1;
    this.lifetimes.untrack(this);
    this.heap.free(this.ptrA);
  }

  private copyFactors(lora: LoraWeights): void {
    const f32 = this.heap.f32;
    f32.set(lora.a, this.ptrA >>> 2);
    f32.set(lora.b, this.ptrB >>> 2);
  }

  private refreshViews(): void {
    if (this.released) throw freedError('WASM adapter');
    this.viewA = this.lifetimes.view(this.heap.f32View(this.ptrA, this.rank * this.inFeatures), this);
    this.viewB = this.lifetimes.view(this.heap.f32View(this.ptrB, this.rank * this.outFeatures), this);
    this.viewGeneration = this.heap.generation;
  }
}

function assertBlockLength(what: string, length: number, bytesPerElement: number): void {
  assertInteger(`${what}: length`, length, 0, Math.floor(MAX_BLOCK_BYTES / bytesPerElement));
}

/**
 * Blocks and adapters in the backend's WASM memory, for callers that keep their vectors and
 * adapters there: ops on them copy nothing. Blocks are returned by `free()` or, failing that,
 * when they (and every array they handed out) are garbage-collected.
 */
export class WasmArena {
  private readonly lifetimes: Lifetimes;

  /** @internal Use `backend.arena`. */
  constructor(private readonly heap: WasmHeap) {
    this.lifetimes = new Lifetimes(heap);
  }

  /** `length` float32 values in WASM memory (contents unspecified: fill it). */
  allocF32(length: number): WasmF32Block {
    assertBlockLength('allocF32', length, 4);
    return new WasmF32Block(this.heap, this.lifetimes, length);
  }

  /** `length` int8 values in WASM memory (contents unspecified: fill it). */
  allocI8(length: number): WasmI8Block {
    assertBlockLength('allocI8', length, 1);
    return new WasmI8Block(this.heap, this.lifetimes, length);
  }

  /** Copies an adapter into WASM memory and returns it as a LoraWeights living there. */
  uploadLora(lora: LoraWeights): WasmLora {
    assertLoraShape(lora);
    assertLoraFactors('uploadLora', lora);
    return new WasmLora(this.heap, this.lifetimes, lora);
  }

  /**
   * True when ops use `view` in place, without copying: it is an array handed out by this
   * arena (block.array, handle.a/b) or a subarray of one, and the memory has not grown since.
   * Views made with `new Float32Array(arena.buffer, …)` are copied like any other array.
   */
  contains(view: Float32Array | Int8Array): boolean {
    return this.heap.isCurrentView(view);
  }

  /** The ArrayBuffer of WASM memory now; it changes (the old one detaches) when the memory grows. */
  get buffer(): ArrayBuffer {
    return this.heap.buffer;
  }
}
