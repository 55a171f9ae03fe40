/**
 * Row scans of a contiguous row-major store. Four rows share each query load
 * (register blocking): measured ~2× faster in V8 than one unrolled row at a time
 * (10k × 768: ~6 ms against ~10–13 ms on this VM).
 */

/** out[r − start] = query · row r, for rows [start, end). */
export function dotRows(query: Float32Array, store: Float32Array, d: number, start: number, end: number, out: Float64Array): void {
  let r = start;
  let o = 0;
  for (; r + 3 < end; r += 4, o += 4) {
    const b0 = r * d;
    const b1 = b0 + d;
    const b2 = b1 + d;
    const b3 = b2 + d;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let i = 0; i < d; i++) {
      const q = query[i] as number;
      s0 += q * (store[b0 + i] as number);
      s1 += q * (store[b1 + i] as number);
      s2 += q * (store[b2 + i] as number);
      s3 += q * (store[b3 + i] as number);
    }
    out[o] = s0;
    out[o + 1] = s1;
    out[o + 2] = s2;
    out[o + 3] = s3;
  }
  for (; r < end; r++, o++) {
    const b = r * d;
    let s = 0;
    for (let i = 0; i < d; i++) s += (query[i] as number) * (store[b + i] as number);
    out[o] = s;
  }
}

/** out[r − start] = ‖query − row r‖², for rows [start, end); exact differences, no ‖q‖²+‖v‖²−2q·v cancellation. */
export function l2Rows(query: Float32Array, store: Float32Array, d: number, start: number, end: number, out: Float64Array): void {
  let r = start;
  let o = 0;
  for (; r + 3 < end; r += 4, o += 4) {
    const b0 = r * d;
    const b1 = b0 + d;
    const b2 = b1 + d;
    const b3 = b2 + d;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let i = 0; i < d; i++) {
      const q = query[i] as number;
      const e0 = q - (store[b0 + i] as number);
      const e1 = q - (store[b1 + i] as number);
      const e2 = q - (store[b2 + i] as number);
      const e3 = q - (store[b3 + i] as number);
      s0 += e0 * e0;
      s1 += e1 * e1;
      s2 += e2 * e2;
      s3 += e3 * e3;
    }
    out[o] = s0;
    out[o + 1] = s1;
    out[o + 2] = s2;
    out[o + 3] = s3;
  }
  for (; r < end; r++, o++) {
    const b = r * d;
    let s = 0;
    for (let i = 0; i < d; i++) {
      const e = (query[i] as number) - (store[b + i] as number);
      s += e * e;
    }
    out[o] = s;
  }
}
