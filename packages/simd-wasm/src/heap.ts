import { MicroLoraError } from '@microlora/core';
import type { WasmMemory } from './module.js';

const PAGE_BYTES = 65536;
/** Every block starts on a 16-byte boundary: one v128. */
const ALIGN = 16;
/** Growth step cap: memory doubles up to this many pages per grow (16 MiB). */
const MAX_GROW_STEP_PAGES = 256;
/** wasm32 addresses 4 GiB at most. */
const MAX_PAGES = 65536;

/** The heap a resident view belongs to. */
export const VIEW_HEAP: unique symbol = Symbol('microlora.wasm.heap');
/** A resident view's byte offset (reading `byteOffset` costs ~9 ns in V8; an own field ~0). */
export const VIEW_PTR: unique symbol = Symbol('microlora.wasm.ptr');
/** The heap generation a resident view was made in: older ones are detached by a growth. */
export const VIEW_GENERATION: unique symbol = Symbol('microlora.wasm.generation');

/** What ops read of an argument to tell whether it lies in WASM memory, and where. */
export interface MaybeResident {
  readonly [VIEW_HEAP]?: WasmHeap | undefined;
  readonly [VIEW_PTR]?: number;
  readonly [VIEW_GENERATION]?: number;
}

type TypedArrayArgs = [buffer: ArrayBuffer, byteOffset?: number, length?: number];

/**
 * Float32Array/Int8Array subclasses for one heap's views. Each instance records, as own
 * fields, whether it was built on the heap's memory and at which offset, so an op tells a
 * resident argument from another in one field load (`.buffer` costs ~13 ns in V8). Arrays
 * derived through Symbol.species keep the class: a `subarray` of a resident view is resident
 * too, while `slice`/`map` results (own buffers) are not.
 */
function residentViewClasses(heap: WasmHeap): {
  F32: new (...args: TypedArrayArgs) => Float32Array;
  I8: new (...args: TypedArrayArgs) => Int8Array;
} {
  class WasmFloat32Array extends Float32Array {
    readonly [VIEW_HEAP]: WasmHeap | undefined;
    readonly [VIEW_PTR]: number;
    readonly [VIEW_GENERATION]: number;
    constructor(...args: TypedArrayArgs) {
      super(...args);
      const resident = args[0] === heap.buffer;
      this[VIEW_HEAP] = resident ? heap : undefined;
      this[VIEW_PTR] = resident ? (args[1] ?? 0) : -1;
      this[VIEW_GENERATION] = heap.generation;
    }
  }
  class WasmInt8Array extends Int8Array {
    readonly [VIEW_HEAP]: WasmHeap | undefined;
    readonly [VIEW_PTR]: number;
    readonly [VIEW_GENERATION]: number;
    constructor(...args: TypedArrayArgs) {
      super(...args);
      const resident = args[0] === heap.buffer;
      this[VIEW_HEAP] = resident ? heap : undefined;
      this[VIEW_PTR] = resident ? (args[1] ?? 0) : -1;
      this[VIEW_GENERATION] = heap.generation;
    }
  }
  return { F32: WasmFloat32Array, I8: WasmInt8Array };
}

function staleView(): MicroLoraError {
  return new MicroLoraError(
    'INVALID_ARGUMENT',
    'this array is a view of WASM memory from before the memory grew, so it is detached (length 0); ' +
      'read block.array / handle.a / handle.b again after any call that may allocate instead of keeping them',
    { details: { reason: 'detached WASM view' } },
  );
}

function alignUp(bytes: number): number {
  return Math.ceil(bytes / ALIGN) * ALIGN;
}

/**
 * The allocator over the kernels module's linear memory: first-fit over a sorted free list
 * with coalescing, bump allocation at the top, geometric growth. It also owns the typed-array
 * views of the whole memory, re-created whenever the memory grows (growing detaches the old
 * ArrayBuffer); `generation` counts those re-creations so views elsewhere can refresh cheaply.
 */
export class WasmHeap {
  buffer!: ArrayBuffer;
  f32!: Float32Array;
  i8!: Int8Array;
  /** Bumped each time the memory grows and the views above are re-created. */
  generation = 0;
  /** Bytes in live blocks (including alignment padding). */
  bytesInUse = 0;
  private readonly F32View: new (...args: TypedArrayArgs) => Float32Array;
  private readonly I8View: new (...args: TypedArrayArgs) => Int8Array;

  private top: number;
  /** Free ranges as [ptr, size] pairs, sorted by ptr, never adjacent (coalesced). */
  private readonly freeRanges: number[] = [];
  private readonly live = new Map<number, number>();

  constructor(
    private readonly memory: WasmMemory,
    heapBase: number,
  ) {
    this.top = alignUp(heapBase);
    const classes = residentViewClasses(this);
    this.F32View = classes.F32;
    this.I8View = classes.I8;
    this.refreshViews();
  }

  /** A resident view: `length` float32 at byte offset `ptr` of the memory as it is now. */
  f32View(ptr: number, length: number): Float32Array {
    return new this.F32View(this.buffer, ptr, length);
  }

  /** A resident view: `length` int8 at byte offset `ptr`. */
  i8View(ptr: number, length: number): Int8Array {
    return new this.I8View(this.buffer, ptr, length);
  }

  /** True when `view` is a view this heap made of its memory as it is now (not detached). */
  isCurrentView(view: Float32Array | Int8Array): boolean {
    const v = view as MaybeResident;
    return v[VIEW_HEAP] === this && v[VIEW_GENERATION] === this.generation;
  }

  /**
   * Byte offset of `view` in this memory when the heap made it (ops use it in place), else −1.
   * A view from before the memory grew is detached (length 0): using it is an error, never a
   * silent empty result.
   */
  residentPtr(view: Float32Array | Int8Array): number {
    const v = view as MaybeResident;
    if (v[VIEW_HEAP] !== this) return -1;
    if (v[VIEW_GENERATION] !== this.generation) throw staleView();
    return v[VIEW_PTR] as number;
  }

  /** Allocates `bytes` (16-byte aligned, at least 16); may grow the memory. */
  alloc(bytes: number): number {
    if (!Number.isInteger(bytes) || bytes < 0) {
      throw new MicroLoraError('INVALID_ARGUMENT', `allocation size must be a non-negative integer, got ${bytes}`, {
        details: { bytes },
      });
    }
    const size = Math.max(ALIGN, alignUp(bytes));
    const ranges = this.freeRanges;
    let ptr = -1;
    for (let i = 0; i < ranges.length; i += 2) {
      const rangeSize = ranges[i + 1] as number;
      if (rangeSize < size) continue;
      ptr = ranges[i] as number;
      if (rangeSize === size) ranges.splice(i, 2);
      else {
        ranges[i] = ptr + size;
        ranges[i + 1] = rangeSize - size;
      }
      break;
    }
    if (ptr < 0) {
      ptr = this.top;
      this.ensureCapacity(ptr + size);
      this.top = ptr + size;
    }
    this.live.set(ptr, size);
    this.bytesInUse += size;
    return ptr;
  }

  /** Frees a block returned by alloc. Freeing twice or a foreign pointer throws. */
  free(ptr: number): void {
    const size = this.live.get(ptr);
    if (size === undefined) {
      throw new MicroLoraError('NOT_FOUND', `no live WASM block starts at ${ptr} (freed twice, or not from this arena)`, {
        details: { ptr },
      });
    }
    this.live.delete(ptr);
    this.bytesInUse -= size;
    this.insertFree(ptr, size);
  }

  /** Grows the memory now, if needed, so that `bytes` more can be allocated without growing it. */
  reserve(bytes: number): void {
    this.ensureCapacity(this.top + bytes);
  }

  /** Size of the memory in bytes (it never shrinks). */
  get memoryBytes(): number {
    return this.buffer.byteLength;
  }

  private insertFree(ptr: number, size: number): void {
    const ranges = this.freeRanges;
    let i = 0;
    while (i < ranges.length && (ranges[i] as number) < ptr) i += 2;
    // Merge with the previous range and/or the next one.
    const prevEnd = i > 0 ? (ranges[i - 2] as number) + (ranges[i - 1] as number) : -1;
    if (prevEnd === ptr) {
      i -= 2;
      ptr = ranges[i] as number;
      size += ranges[i + 1] as number;
      ranges.splice(i, 2);
    }
    if (i < ranges.length && ranges[i] === ptr + size) {
      size += ranges[i + 1] as number;
      ranges.splice(i, 2);
    }
    if (ptr + size === this.top) {
      this.top = ptr; // the range touches the bump pointer: give it back to the top
      return;
    }
    ranges.splice(i, 0, ptr, size);
  }

  private ensureCapacity(end: number): void {
    const current = this.buffer.byteLength;
    if (end <= current) return;
    const currentPages = current / PAGE_BYTES;
    const needed = Math.ceil((end - current) / PAGE_BYTES);
    if (currentPages + needed > MAX_PAGES) throw this.cannotGrow(end);
    const step = Math.min(Math.max(needed, Math.min(currentPages, MAX_GROW_STEP_PAGES)), MAX_PAGES - currentPages);
    try {
      this.memory.grow(step);
    } catch (err) {
      // The geometric step may exceed what the engine grants; the exact need may still fit.
      try {
        if (step === needed) throw err;
        this.memory.grow(needed);
      } catch (cause) {
        throw this.cannotGrow(end, cause);
      }
    }
    this.refreshViews();
  }

  private cannotGrow(end: number, cause?: unknown): MicroLoraError {
    return new MicroLoraError(
      'CAPACITY_EXCEEDED',
      `WASM memory cannot grow to ${end} bytes (now ${this.buffer.byteLength}, in use ${this.bytesInUse}); ` +
        'free blocks and adapter handles you no longer need, or lower adapterCacheBytes',
      { details: { requested: end, memoryBytes: this.buffer.byteLength, bytesInUse: this.bytesInUse }, cause },
    );
  }

  private refreshViews(): void {
    this.buffer = this.memory.buffer;
    this.f32 = new Float32Array(this.buffer);
    this.i8 = new Int8Array(this.buffer);
    this.generation++;
  }
}
