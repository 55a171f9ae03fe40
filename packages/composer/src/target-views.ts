import { MicroLoraError } from '@microlora/core';
import type { ComposeTarget } from './contract.js';

/** Rows [row, row + rank) of a target's a and b, shaped as decompressInto's target. */
export interface RowViews {
  readonly a: Float32Array;
  readonly b: Float32Array;
}

/**
 * Row view → its target. Arena blocks are freed when their owner is garbage-collected, and a
 * composite holds only row views: this keeps the target (hence its blocks) alive while any
 * view of it is, so a composite never outlives the memory it points at.
 */
const viewOwners = new WeakMap<Float32Array, ComposeTarget>();

/** The row views handed out for one target's current a/b arrays. */
export class TargetViews {
  private readonly views = new Map<number, RowViews>();

  constructor(
    private readonly owner: ComposeTarget,
    readonly a: Float32Array,
    readonly b: Float32Array,
  ) {}

  /**
   * Views of rows [row, row + rank), made once per (row, rank). Throws INVALID_ARGUMENT if
   * the target's memory was detached since the views were looked up (a WASM memory growth).
   */
  rows(row: number, rank: number): RowViews {
    this.assertAttached();
    const key = row * 0x10000 + rank;
    let views = this.views.get(key);
    if (views === undefined) {
      const n = this.owner.inFeatures;
      const m = this.owner.outFeatures;
      views = { a: this.a.subarray(row * n, (row + rank) * n), b: this.b.subarray(row * m, (row + rank) * m) };
      viewOwners.set(views.a, this.owner);
      viewOwners.set(views.b, this.owner);
      this.views.set(key, views);
    }
    return views;
  }

  /**
   * Detached arrays read as empty and ignore writes, so a compose must stop, not go on, if the
   * target's WASM memory grew mid-call (only a backend that allocates while dequantising can
   * cause it; buffers from createComposeBuffers({ backend }) never make it allocate).
   */
  assertAttached(): void {
    if (this.a.length === 0 || this.b.length === 0) {
      throw new MicroLoraError(
        'INVALID_ARGUMENT',
        'the compose target was detached during the call (its WASM memory grew); compose again, and create arena targets with createComposeBuffers({ backend }), which keep dequantisation from allocating',
        { details: { reason: 'detached target' } },
      );
    }
  }
}

// subarray() costs ~100 ns and allocates; a compose needs 2 views per item plus the
// result's, so each target keeps the views it has handed out (bounded by rows × ranks used).
const caches = new WeakMap<ComposeTarget, TargetViews>();

/**
 * The view cache of a target's current a/b arrays. Look it up once per compose and call
 * `rows` per item: a and b are read once (arena buffers re-read them from WASM memory).
 */
export function targetViews(target: ComposeTarget): TargetViews {
  const a = target.a;
  const b = target.b;
  let cache = caches.get(target);
  if (cache === undefined || cache.a !== a || cache.b !== b) {
    cache = new TargetViews(target, a, b);
    caches.set(target, cache);
  }
  return cache;
}

/** Views of rows [row, row + rank) of the target's factors, cached per target. */
export function rowViews(target: ComposeTarget, row: number, rank: number): RowViews {
  return targetViews(target).rows(row, rank);
}
