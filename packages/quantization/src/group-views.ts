// SimdOps.dequantizeI8 takes whole arrays, so a factor with several scales needs one
// view per group. subarray() costs ~60 ns and allocates, so views are made once and
// cached: input views per int8 array, output views per (ArrayBuffer, element range).

/** Output views are keyed by start·2^26 + length: exact while start < 2^27 (512 MB of f32). */
const KEY_LENGTH_RANGE = 2 ** 26;
const KEY_START_LIMIT = 2 ** 27;
/** A cache of output views per buffer is dropped past this size (callers with ever-new offsets). */
const MAX_VIEWS_PER_BUFFER = 4096;

const inputViews = new WeakMap<Int8Array, Int8Array[]>();
const outputViews = new WeakMap<ArrayBufferLike, Map<number, Float32Array>>();

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
 * A view of out[start, start + length): cached per underlying buffer, so a caller that
 * passes a fresh subarray of the same stacked buffer every request still hits the cache.
 */
export function outputView(out: Float32Array, start: number, length: number): Float32Array {
  const absolute = out.byteOffset / 4 + start;
  if (absolute >= KEY_START_LIMIT || length >= KEY_LENGTH_RANGE) return out.subarray(start, start + length);
  let views = outputViews.get(out.buffer);
  if (views === undefined) {
    views = new Map();
    outputViews.set(out.buffer, views);
  }
  const key = absolute * KEY_LENGTH_RANGE + length;
  let view = views.get(key);
  if (view === undefined) {
    if (views.size >= MAX_VIEWS_PER_BUFFER) views.clear();
    view = new Float32Array(out.buffer, absolute * 4, length);
    views.set(key, view);
  }
  return view;
}
