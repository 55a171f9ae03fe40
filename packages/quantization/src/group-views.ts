// SimdOps.dequantizeI8 takes whole arrays, so a factor with several scales needs one
// view per group. subarray() costs ~60 ns and allocates, and reading .buffer/.byteOffset
// costs ~10 ns each, so views are made once and cached: input views per int8 array, output
// views per (ArrayBuffer, element range), and the pair of both per output array in front.
// Output views come from out.subarray(), so they keep out's class: a backend that recognises
// its own memory by the view's class (the wasm arena) uses them in place instead of copying.

/** Output views are keyed by start·2^26 + groupSize: exact while start < 2^27 (512 MB of f32). */
const KEY_LENGTH_RANGE = 2 ** 26;
const KEY_START_LIMIT = 2 ** 27;
/** A buffer's cache of output views is dropped past this many factors (callers with ever-new offsets). */
const MAX_FACTORS_PER_BUFFER = 4096;

const inputViews = new WeakMap<Int8Array, Int8Array[]>();
const outputViews = new WeakMap<ArrayBufferLike, Map<number, Float32Array[]>>();

/** Views of data[g·groupSize, (g+1)·groupSize) for every group g, made once per data array. */
export function inputGroupViews(data: Int8Array, groupSize: number): Int8Array[] {
  let views = inputViews.get(data);
  if (views === undefined || views[0]?.length !== groupSize) {
    views = [];
    for (let start = 0; start < data.length; start += groupSize) views.push(data.subarray(start, start + groupSize));
    inputViews.set(data, views);
  }
  return views;
}

/**
 * Views of out[offset + g·groupSize, offset + (g+1)·groupSize) for g < groups, cached per
 * underlying buffer and element range, so a caller passing a fresh subarray of the same
 * stacked buffer every request still allocates nothing after the first.
 */
export function outputGroupViews(out: Float32Array, offset: number, groupSize: number, groups: number): Float32Array[] {
  const absolute = out.byteOffset / 4 + offset;
  if (absolute >= KEY_START_LIMIT || groupSize >= KEY_LENGTH_RANGE) return makeOutputViews(out, offset, groupSize, groups);
  let cache = outputViews.get(out.buffer);
  if (cache === undefined) {
    cache = new Map();
    outputViews.set(out.buffer, cache);
  }
  const key = absolute * KEY_LENGTH_RANGE + groupSize;
  let views = cache.get(key);
  if (views === undefined || views.length !== groups) {
    if (cache.size >= MAX_FACTORS_PER_BUFFER) cache.clear();
    views = makeOutputViews(out, offset, groupSize, groups);
    cache.set(key, views);
  }
  return views;
}

function makeOutputViews(out: Float32Array, offset: number, groupSize: number, groups: number): Float32Array[] {
  const views: Float32Array[] = [];
  for (let g = 0; g < groups; g++) {
    const start = offset + g * groupSize;
    views.push(out.subarray(start, start + groupSize));
  }
  return views;
}

/** Input and output group views of one (data, out) pair. */
export interface GroupViewPair {
  readonly data: Int8Array;
  readonly offset: number;
  readonly groupSize: number;
  readonly inputs: Int8Array[];
  readonly outputs: Float32Array[];
}
const pairs = new WeakMap<Float32Array, GroupViewPair>();

/**
 * The first (data, offset, groupSize) pair seen for an `out` array: a caller that dequantises
 * the same staging array into the same target every time (the composer with arena buffers)
 * then pays one lookup per factor. Only the first is kept, so adapters taking turns in one
 * target allocate nothing (they go through the caches above); it holds that first `data`.
 */
export function rememberedPair(out: Float32Array): GroupViewPair | undefined {
  return pairs.get(out);
}

/** Remembers the pair for `out` (call only when rememberedPair(out) is undefined). */
export function rememberPair(out: Float32Array, pair: GroupViewPair): void {
  pairs.set(out, pair);
}
