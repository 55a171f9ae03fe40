import type { ComposeTarget } from './contract.js';

/** Rows [row, row + rank) of a target's a and b, shaped as decompressInto's target. */
export interface RowViews {
  readonly a: Float32Array;
  readonly b: Float32Array;
}

interface ViewCache {
  a: Float32Array;
  b: Float32Array;
  views: Map<number, RowViews>;
}

// subarray() costs ~100 ns and allocates; a compose needs 2 views per item plus the
// result's, so each target keeps the views it has handed out (bounded by rows × ranks used).
const caches = new WeakMap<ComposeTarget, ViewCache>();

/** Views of rows [row, row + rank) of the target's factors, cached per target. */
export function rowViews(target: ComposeTarget, row: number, rank: number): RowViews {
  let cache = caches.get(target);
  if (cache === undefined || cache.a !== target.a || cache.b !== target.b) {
    cache = { a: target.a, b: target.b, views: new Map() };
    caches.set(target, cache);
  }
  const key = row * 0x10000 + rank;
  let views = cache.views.get(key);
  if (views === undefined) {
    const { inFeatures: n, outFeatures: m } = target;
    views = { a: target.a.subarray(row * n, (row + rank) * n), b: target.b.subarray(row * m, (row + rank) * m) };
    cache.views.set(key, views);
  }
  return views;
}
