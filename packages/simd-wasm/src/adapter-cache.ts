import type { LoraWeights } from '@microlora/core';
import type { WasmHeap } from './heap.js';

/** Entries of `a` and of `b` compared with the WASM copy on every use. */
const SAMPLES_PER_FACTOR = 4;

/** One adapter's factors copied into WASM memory for the plain (typed-array) API. */
export interface CachedAdapter {
  readonly ptrA: number;
  readonly ptrB: number;
  readonly bytes: number;
  /** The arrays the copy was made from (identity is checked on every use). */
  a: Float32Array;
  b: Float32Array;
  readonly samplesA: Int32Array;
  readonly samplesB: Int32Array;
  readonly key: WeakRef<LoraWeights>;
  released: boolean;
}

/** SAMPLES_PER_FACTOR positions spread over [0, length), first and last included. */
function samplePositions(length: number): Int32Array {
  const count = Math.min(length, SAMPLES_PER_FACTOR);
  const out = new Int32Array(count);
  for (let k = 0; k < count; k++) out[k] = count === 1 ? 0 : Math.floor((k * (length - 1)) / (count - 1));
  return out;
}

/**
 * WASM copies of the adapters passed to the plain API, keyed by the LoraWeights object.
 *
 * Staleness: each use checks that `a`/`b` are still the same arrays and that 4 sampled
 * entries of each still equal the copy (~20 ns), re-uploading on any difference. A whole
 * rewrite (composeInto, an optimizer step, `.set()`) is caught; an in-place edit that leaves
 * every sampled entry unchanged is not: callers doing those call `invalidate(lora)`.
 *
 * Memory: an entry is freed when its LoraWeights is garbage-collected (FinalizationRegistry),
 * on `invalidate`, or oldest-first once the cache exceeds `maxBytes` (checked by `trim()`,
 * which ops call before resolving, so no pointer in use by the running op is ever freed).
 */
export class AdapterCache {
  private readonly entries = new WeakMap<LoraWeights, CachedAdapter>();
  /** Insertion order = eviction order. */
  private readonly order = new Set<CachedAdapter>();
  private readonly finalizer: FinalizationRegistry<CachedAdapter>;
  private totalBytes = 0;

  constructor(
    private readonly heap: WasmHeap,
    readonly maxBytes: number,
  ) {
    this.finalizer = new FinalizationRegistry((entry: CachedAdapter) => this.release(entry));
  }

  /** The up-to-date WASM copy of `lora` (its factor lengths are already checked). May allocate. */
  resolve(lora: LoraWeights): CachedAdapter {
    const entry = this.entries.get(lora);
    if (entry !== undefined) {
      if (entry.a === lora.a && entry.b === lora.b && this.matchesSamples(entry)) return entry;
      if (entry.a.length === lora.a.length && entry.b.length === lora.b.length) {
        entry.a = lora.a;
        entry.b = lora.b;
        this.copy(entry);
        return entry;
      }
      this.release(entry);
    }
    return this.upload(lora);
  }

  /** Forgets the copy of `lora` (call after editing it in place). True if one was cached. */
  invalidate(lora: LoraWeights): boolean {
    const entry = this.entries.get(lora);
    if (entry === undefined) return false;
    this.release(entry);
    return true;
  }

  /** Evicts the oldest entries while the cache holds more than maxBytes. */
  trim(): void {
    if (this.totalBytes <= this.maxBytes) return;
    for (const entry of this.order) {
      if (this.totalBytes <= this.maxBytes) break;
      this.release(entry);
    }
  }

  clear(): void {
    for (const entry of this.order) this.release(entry);
  }

  get count(): number {
    return this.order.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  private upload(lora: LoraWeights): CachedAdapter {
    const lengthA = lora.a.length;
    const bytesA = Math.ceil(lengthA / 4) * 16;
    const bytes = bytesA + lora.b.length * 4;
    // A factor that is itself a view of WASM memory would be detached if this allocation
    // grows the memory: read it out first (rare: resident adapters normally skip the cache).
    const inMemory = lora.a.buffer === this.heap.buffer || lora.b.buffer === this.heap.buffer;
    const a = inMemory ? Float32Array.from(lora.a) : lora.a;
    const b = inMemory ? Float32Array.from(lora.b) : lora.b;
    const ptrA = this.heap.alloc(bytes);
    const entry: CachedAdapter = {
      ptrA,
      ptrB: ptrA + bytesA,
      bytes,
      a,
      b,
      samplesA: samplePositions(lengthA),
      samplesB: samplePositions(lora.b.length),
      key: new WeakRef(lora),
      released: false,
    };
    this.copy(entry);
    this.entries.set(lora, entry);
    this.order.add(entry);
    this.totalBytes += bytes;
    this.finalizer.register(lora, entry, entry);
    return entry;
  }

  private copy(entry: CachedAdapter): void {
    const f32 = this.heap.f32;
    f32.set(entry.a, entry.ptrA >>> 2);
    f32.set(entry.b, entry.ptrB >>> 2);
  }

  private matchesSamples(entry: CachedAdapter): boolean {
    const f32 = this.heap.f32;
    const { a, b, samplesA, samplesB } = entry;
    const baseA = entry.ptrA >>> 2;
    for (let k = 0; k < samplesA.length; k++) {
      const p = samplesA[k] as number;
      if (a[p] !== f32[baseA + p]) return false;
    }
    const baseB = entry.ptrB >>> 2;
    for (let k = 0; k < samplesB.length; k++) {
      const p = samplesB[k] as number;
      if (b[p] !== f32[baseB + p]) return false;
    }
    return true;
  }

  private release(entry: CachedAdapter): void {
    if (entry.released) return;
    entry.released = true;
    this.order.delete(entry);
    this.totalBytes -= entry.bytes;
    this.finalizer.unregister(entry);
    const lora = entry.key.deref();
    if (lora !== undefined && this.entries.get(lora) === entry) this.entries.delete(lora);
    this.heap.free(entry.ptrA);
  }
}
