// A stand-in for a backend with an arena (like @microlora/simd-wasm, which the composer does not
// depend on): the JS backend's arithmetic plus blocks carved out of one ArrayBuffer that "grows"
// the way WASM memory does — a new buffer, the old one detached, so earlier views read as empty.
import { createJsBackend } from '@microlora/simd';
import type { SimdOps } from '@microlora/simd';

const ALIGN = 16;

class FakeBlock<V extends Float32Array | Int8Array> {
  private cached: V | undefined;
  freed = false;

  constructor(
    private readonly arena: FakeArena,
    readonly ptr: number,
    readonly length: number,
    private readonly make: (buffer: ArrayBuffer, ptr: number, length: number) => V,
  ) {}

  get array(): V {
    if (this.freed) throw new Error('fake arena: block used after free');
    if (this.cached === undefined || this.cached.buffer !== this.arena.buffer) {
      // Like simd-wasm: the array keeps its block alive, nothing else derived from it does.
      this.cached = this.arena.owned(this.make(this.arena.buffer, this.ptr, this.length), this);
    }
    return this.cached;
  }

  free(): void {
    if (this.freed) throw new Error('fake arena: block freed twice');
    this.freed = true;
    this.arena.release(this.ptr, this);
  }
}

/**
 * Blocks carved out of one ArrayBuffer, freed by free() or, like simd-wasm's, when the block and
 * its array are garbage-collected; freed memory is handed out again first (so a dangling view
 * would see another block's data).
 */
export class FakeArena {
  buffer: ArrayBuffer;
  /** Live blocks: ptr → bytes. */
  readonly live = new Map<number, number>();
  growths = 0;
  /** When set, the n-th allocation from now throws (to test clean-up after a failed allocation). */
  failOnAllocation: number | undefined;
  private top = 0;
  private readonly freeList: [ptr: number, bytes: number][] = [];
  private readonly owners = new WeakMap<object, object>();
  private readonly finalizer = new FinalizationRegistry<number>((ptr) => this.release(ptr));

  constructor(bytes = 1 << 16) {
    this.buffer = new ArrayBuffer(bytes);
  }

  /** Bytes in live blocks. */
  get bytesInUse(): number {
    let total = 0;
    for (const bytes of this.live.values()) total += bytes;
    return total;
  }

  /** @internal */
  owned<V extends object>(view: V, block: object): V {
    this.owners.set(view, block);
    return view;
  }

  /** @internal */
  release(ptr: number, block?: object): void {
    const bytes = this.live.get(ptr);
    if (bytes === undefined) return;
    if (block !== undefined) this.finalizer.unregister(block);
    this.live.delete(ptr);
    this.freeList.push([ptr, bytes]);
  }

  allocF32(length: number): FakeBlock<Float32Array> {
    return this.alloc(length * 4, length, (buffer, ptr, n) => new Float32Array(buffer, ptr, n));
  }

  allocI8(length: number): FakeBlock<Int8Array> {
    return this.alloc(length, length, (buffer, ptr, n) => new Int8Array(buffer, ptr, n));
  }

  /** Whether `view` lies in the arena's memory as it is now. */
  contains(view: Float32Array | Int8Array): boolean {
    return view.buffer === this.buffer;
  }

  /** Grows the memory like WebAssembly.Memory.grow: contents kept, every earlier view detached. */
  grow(extraBytes: number): void {
    const bigger = new ArrayBuffer(this.buffer.byteLength + extraBytes);
    new Uint8Array(bigger).set(new Uint8Array(this.buffer));
    structuredClone(this.buffer, { transfer: [this.buffer] }); // detaches the old buffer
    this.buffer = bigger;
    this.growths++;
  }

  private alloc<V extends Float32Array | Int8Array>(
    bytes: number,
    length: number,
    make: (buffer: ArrayBuffer, ptr: number, length: number) => V,
  ): FakeBlock<V> {
    if (this.failOnAllocation !== undefined && --this.failOnAllocation === 0) {
      this.failOnAllocation = undefined;
      throw new Error('fake arena: out of memory');
    }
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    const reuse = this.freeList.findIndex(([, free]) => free >= size);
    let ptr: number;
    if (reuse >= 0) {
      ptr = this.freeList[reuse]![0];
      this.freeList.splice(reuse, 1);
    } else {
      ptr = this.top;
      this.top += size;
      if (this.top > this.buffer.byteLength) this.grow(this.top - this.buffer.byteLength);
    }
    const block = new FakeBlock(this, ptr, length, make);
    this.live.set(ptr, size);
    this.finalizer.register(block, ptr, block);
    return block;
  }
}

export interface DequantizeCall {
  inputInArena: boolean;
  outputInArena: boolean;
}

export interface FakeArenaBackend extends SimdOps {
  readonly arena: FakeArena;
  readonly dequantizeCalls: DequantizeCall[];
  /** When set, the n-th dequantizeI8 call from now grows the memory after writing (as a staging backend might). */
  growOnCall: number | undefined;
}

/** The JS backend's ops under another name (so decompressInto calls it), with an arena. */
export function createFakeArenaBackend(options: { allocI8?: boolean } = {}): FakeArenaBackend {
  const js = createJsBackend();
  const arena = new FakeArena();
  if (options.allocI8 === false) Object.defineProperty(arena, 'allocI8', { value: undefined });
  const backend: FakeArenaBackend = Object.assign(Object.create(js) as SimdOps, {
    name: 'fake-arena',
    arena,
    dequantizeCalls: [] as DequantizeCall[],
    growOnCall: undefined as number | undefined,
    dequantizeI8(q: Int8Array, scale: number, out: Float32Array, zeroPoint?: number): void {
      backend.dequantizeCalls.push({ inputInArena: arena.contains(q), outputInArena: arena.contains(out) });
      js.dequantizeI8(q, scale, out, zeroPoint);
      if (backend.growOnCall !== undefined && --backend.growOnCall === 0) {
        backend.growOnCall = undefined;
        arena.grow(1 << 16);
      }
    },
  });
  return backend;
}
