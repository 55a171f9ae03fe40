// WebAssembly kernels of the Hamming index (AssemblyScript, SIMD128, stub runtime).
// Every argument is a raw byte offset into this module's memory, laid out by src/arena.ts;
// nothing here allocates. Codes are little-endian u64 words, bit i of a code = sign of
// rotated coordinate i. Distances are u16 (codes have at most 16,384 bits).

// ---------------------------------------------------------------------------------------
// Stage 1: prefix-code scan of a contiguous slot range, distances stored at dist[slot].

/** Hamming distance of codes[first..first+count) (4 words each) to q, into dist[slot]. */
export function scan4(codes: usize, first: i32, count: i32, q: usize, dist: usize): void {
  const q0 = load<u64>(q);
  const q1 = load<u64>(q, 8);
  const q2 = load<u64>(q, 16);
  const q3 = load<u64>(q, 24);
  let c = codes + (<usize>first << 5);
  let out = dist + (<usize>first << 1);
  const end = out + (<usize>count << 1);
  while (out < end) {
    const d =
      popcnt<u64>(load<u64>(c) ^ q0) +
      popcnt<u64>(load<u64>(c, 8) ^ q1) +
      popcnt<u64>(load<u64>(c, 16) ^ q2) +
      popcnt<u64>(load<u64>(c, 24) ^ q3);
    store<u16>(out, <u16>d);
    c += 32;
    out += 2;
  }
}

/** The same with 8 words per code. */
export function scan8(codes: usize, first: i32, count: i32, q: usize, dist: usize): void {
  const q0 = load<u64>(q);
  const q1 = load<u64>(q, 8);
  const q2 = load<u64>(q, 16);
  const q3 = load<u64>(q, 24);
  const q4 = load<u64>(q, 32);
  const q5 = load<u64>(q, 40);
  const q6 = load<u64>(q, 48);
  const q7 = load<u64>(q, 56);
  let c = codes + (<usize>first << 6);
  let out = dist + (<usize>first << 1);
  const end = out + (<usize>count << 1);
  while (out < end) {
    const d =
      popcnt<u64>(load<u64>(c) ^ q0) +
      popcnt<u64>(load<u64>(c, 8) ^ q1) +
      popcnt<u64>(load<u64>(c, 16) ^ q2) +
      popcnt<u64>(load<u64>(c, 24) ^ q3) +
      popcnt<u64>(load<u64>(c, 32) ^ q4) +
      popcnt<u64>(load<u64>(c, 40) ^ q5) +
      popcnt<u64>(load<u64>(c, 48) ^ q6) +
      popcnt<u64>(load<u64>(c, 56) ^ q7);
    store<u16>(out, <u16>d);
    c += 64;
    out += 2;
  }
}

/** The same for any number of words per code (4-word steps, then single words). */
export function scanWords(codes: usize, words: i32, first: i32, count: i32, q: usize, dist: usize): void {
  const stride = <usize>words << 3;
  let c = codes + <usize>first * stride;
  let out = dist + (<usize>first << 1);
  const end = out + (<usize>count << 1);
  while (out < end) {
    store<u16>(out, <u16>hamming(c, q, stride));
    c += stride;
    out += 2;
  }
}

@inline
function hamming(c: usize, q: usize, bytes: usize): u64 {
  let d: u64 = 0;
  let w: usize = 0;
  for (; w + 32 <= bytes; w += 32) {
    d +=
      popcnt<u64>(load<u64>(c + w) ^ load<u64>(q + w)) +
      popcnt<u64>(load<u64>(c + w, 8) ^ load<u64>(q + w, 8)) +
      popcnt<u64>(load<u64>(c + w, 16) ^ load<u64>(q + w, 16)) +
      popcnt<u64>(load<u64>(c + w, 24) ^ load<u64>(q + w, 24));
  }
  for (; w < bytes; w += 8) d += popcnt<u64>(load<u64>(c + w) ^ load<u64>(q + w));
  return d;
}

/** Adds every `step`-th distance of dist[first..first+count) to a u32 histogram. */
export function histogramSample(dist: usize, first: i32, count: i32, step: i32, hist: usize): void {
  const stride = <usize>step << 1;
  let p = dist + (<usize>first << 1);
  const end = p + (<usize>count << 1);
  while (p < end) {
    const h = hist + (<usize>load<u16>(p) << 2);
    store<u32>(h, load<u32>(h) + 1);
    p += stride;
  }
}

/**
 * Appends to ids[m..] every slot of [first, first+count) with dist[slot] <= t and returns
 * the new m. Branch-free: eight distances per step, and `lanes` (256 × 8 bytes, written by
 * the arena) lists the set lanes of each 8-bit mask, so passing slots are stored as vectors.
 */
export function collectRange(dist: usize, lanes: usize, first: i32, count: i32, t: i32, ids: usize, m: i32): i32 {
  const tv = i16x8.splat(<i16>t);
  let i = first;
  const end = first + count;
  for (; i + 8 <= end; i += 8) {
    const mask = i16x8.bitmask(i16x8.le_u(v128.load(dist + (<usize>i << 1)), tv));
    const l = i16x8.extend_low_i8x16_u(v128.load64_zero(lanes + (<usize>mask << 3)));
    const base = i32x4.splat(i);
    const out = ids + (<usize>m << 2);
    v128.store(out, i32x4.add(i32x4.extend_low_i16x8_u(l), base));
    v128.store(out, i32x4.add(i32x4.extend_high_i16x8_u(l), base), 16);
    m += <i32>popcnt<u32>(mask);
  }
  for (; i < end; i++) {
    store<i32>(ids + (<usize>m << 2), i);
    m += <i32>(<i32>load<u16>(dist + (<usize>i << 1)) <= t);
  }
  return m;
}

// ---------------------------------------------------------------------------------------
// Stage 2: full-code Hamming of a candidate list, then an exact top-c selection.

/**
 * out[j] = dist[ids[j]] + Hamming of the first `words` words of codes[ids[j]] (records of
 * `stride` words) to q. words may be 0 (the prefix distance alone).
 */
export function gatherHamming(codes: usize, stride: i32, words: i32, ids: usize, m: i32, q: usize, dist: usize, out: usize): void {
  const recordBytes = <usize>stride << 3;
  const bytes = <usize>words << 3;
  // Touch the first and last word of every record first: independent loads overlap their
  // cache misses, which the scoring loop below (one record at a time) cannot.
  let touch: u64 = 0;
  for (let j = 0; j < m; j++) {
    const c = codes + <usize>load<i32>(ids + (<usize>j << 2)) * recordBytes;
    touch ^= load<u64>(c) ^ load<u64>(c + bytes - 8);
  }
  store<u64>(out, touch);
  if (words == 4) {
    const q0 = load<u64>(q);
    const q1 = load<u64>(q, 8);
    const q2 = load<u64>(q, 16);
    const q3 = load<u64>(q, 24);
    for (let j = 0; j < m; j++) {
      const slot = <usize>load<i32>(ids + (<usize>j << 2));
      const c = codes + slot * recordBytes;
      const d =
        <u64>load<u16>(dist + (slot << 1)) +
        popcnt<u64>(load<u64>(c) ^ q0) +
        popcnt<u64>(load<u64>(c, 8) ^ q1) +
        popcnt<u64>(load<u64>(c, 16) ^ q2) +
        popcnt<u64>(load<u64>(c, 24) ^ q3);
      store<u16>(out + (<usize>j << 1), <u16>d);
    }
    return;
  }
  for (let j = 0; j < m; j++) {
    const slot = <usize>load<i32>(ids + (<usize>j << 2));
    store<u16>(out + (<usize>j << 1), <u16>(<u64>load<u16>(dist + (slot << 1)) + hamming(codes + slot * recordBytes, q, bytes)));
  }
}

/**
 * Keeps the c smallest of vals[0..m) (ties broken by position), writing their ids (from
 * ids[]) in position order to out; returns how many were kept (min(c, m)).
 * hist must hold bins+1 u32 and is cleared here.
 */
export function selectSmallest(vals: usize, ids: usize, m: i32, c: i32, bins: i32, hist: usize, out: usize): i32 {
  if (c >= m) {
    memory.copy(out, ids, <usize>m << 2);
    return m;
  }
  memory.fill(hist, 0, <usize>(bins + 1) << 2);
  for (let j = 0; j < m; j++) {
    const h = hist + (<usize>load<u16>(vals + (<usize>j << 1)) << 2);
    store<u32>(h, load<u32>(h) + 1);
  }
  let t = 0;
  let below = 0;
  for (; t <= bins; t++) {
    const n = <i32>load<u32>(hist + (<usize>t << 2));
    if (below + n >= c) break;
    below += n;
  }
  // Branch-free pass: every id is written, the count advances only for kept ones.
  let ties = c - below;
  let k = 0;
  for (let j = 0; j < m; j++) {
    const v = <i32>load<u16>(vals + (<usize>j << 1));
    const tie = <i32>(v == t) & <i32>(ties > 0);
    store<i32>(out + (<usize>k << 2), load<i32>(ids + (<usize>j << 2)));
    k += <i32>(v < t) | tie;
    ties -= tie;
  }
  return k;
}

// ---------------------------------------------------------------------------------------
// Stage 3: int8 (high byte plane) x int16 query dot products, four candidates in flight.

@inline
function hsum(a: v128): i32 {
  return i32x4.extract_lane(a, 0) + i32x4.extract_lane(a, 1) + i32x4.extract_lane(a, 2) + i32x4.extract_lane(a, 3);
}

@inline
function dot16(acc: v128, x: v128, ql: v128, qh: v128): v128 {
  return i32x4.add(
    acc,
    i32x4.add(
      i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(x), ql),
      i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(x), qh),
    ),
  );
}

/** out[j] = Σ hi[ids[j]][i] · q[i] (i32) over `len` bytes (a multiple of 16) of rows `stride` bytes apart. */
export function dotHigh(hi: usize, stride: i32, len: i32, q: usize, ids: usize, m: i32, out: usize): void {
  const s = <usize>stride;
  const n = <usize>len;
  // Touch every cache line of every row first: independent loads overlap their cache misses,
  // which the dependent accumulation below cannot.
  let touch: u32 = 0;
  for (let t = 0; t < m; t++) {
    const row = hi + <usize>load<i32>(ids + (<usize>t << 2)) * s;
    for (let d: usize = 0; d < n; d += 64) touch += load<u8>(row + d);
  }
  store<i32>(out, touch);
  let j = 0;
  for (; j + 4 <= m; j += 4) {
    const p = ids + (<usize>j << 2);
    const v0 = hi + <usize>load<i32>(p) * s;
    const v1 = hi + <usize>load<i32>(p, 4) * s;
    const v2 = hi + <usize>load<i32>(p, 8) * s;
    const v3 = hi + <usize>load<i32>(p, 12) * s;
    let a0 = i32x4.splat(0);
    let a1 = i32x4.splat(0);
    let a2 = i32x4.splat(0);
    let a3 = i32x4.splat(0);
    for (let d: usize = 0; d < n; d += 16) {
      const qq = q + (d << 1);
      const ql = v128.load(qq);
      const qh = v128.load(qq, 16);
      a0 = dot16(a0, v128.load(v0 + d), ql, qh);
      a1 = dot16(a1, v128.load(v1 + d), ql, qh);
      a2 = dot16(a2, v128.load(v2 + d), ql, qh);
      a3 = dot16(a3, v128.load(v3 + d), ql, qh);
    }
    const o = out + (<usize>j << 2);
    store<i32>(o, hsum(a0));
    store<i32>(o, hsum(a1), 4);
    store<i32>(o, hsum(a2), 8);
    store<i32>(o, hsum(a3), 12);
  }
  for (; j < m; j++) {
    const v = hi + <usize>load<i32>(ids + (<usize>j << 2)) * s;
    let a = i32x4.splat(0);
    for (let d: usize = 0; d < n; d += 16) {
      const qq = q + (d << 1);
      a = dot16(a, v128.load(v + d), v128.load(qq), v128.load(qq, 16));
    }
    store<i32>(out + (<usize>j << 2), hsum(a));
  }
}

// ---------------------------------------------------------------------------------------
// Stage 4: float32 scores against the full 16-bit value w = 256·hi + lo.

@inline
function fsum(a: v128): f32 {
  return f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1) + (f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3));
}

@inline
function widen(hi: v128, lo: v128, low: bool): v128 {
  // w = hi·256 + lo as i16 (|w| <= 32640 fits).
  return low
    ? i16x8.add(i16x8.shl(i16x8.extend_low_i8x16_s(hi), 8), i16x8.extend_low_i8x16_s(lo))
    : i16x8.add(i16x8.shl(i16x8.extend_high_i8x16_s(hi), 8), i16x8.extend_high_i8x16_s(lo));
}

@inline
function lanesF32(w: v128, low: bool): v128 {
  return f32x4.convert_i32x4_s(low ? i32x4.extend_low_i16x8_s(w) : i32x4.extend_high_i16x8_s(w));
}

/**
 * out[j] = Σ q[i] · w[ids[j]][i] (f32) where each row (`stride` bytes apart) holds `len`
 * high bytes then `len` low bytes, and q holds `len` floats.
 */
export function dotFull(rows: usize, stride: i32, len: i32, q: usize, ids: usize, m: i32, out: usize): void {
  const n = <usize>len;
  for (let j = 0; j < m; j++) {
    const h = rows + <usize>load<i32>(ids + (<usize>j << 2)) * <usize>stride;
    const l = h + n;
    let a0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    for (let d: usize = 0; d < n; d += 16) {
      const x = v128.load(h + d);
      const y = v128.load(l + d);
      const wl = widen(x, y, true);
      const wh = widen(x, y, false);
      const qq = q + (d << 2);
      a0 = f32x4.add(a0, f32x4.mul(lanesF32(wl, true), v128.load(qq)));
      a1 = f32x4.add(a1, f32x4.mul(lanesF32(wl, false), v128.load(qq, 16)));
      a0 = f32x4.add(a0, f32x4.mul(lanesF32(wh, true), v128.load(qq, 32)));
      a1 = f32x4.add(a1, f32x4.mul(lanesF32(wh, false), v128.load(qq, 48)));
    }
    store<f32>(out + (<usize>j << 2), fsum(f32x4.add(a0, a1)));
  }
}

/** out[j] = Σ (q[i] − scale[ids[j]] · w[ids[j]][i])² (f32), rows as in dotFull: squared l2 without cancellation. */
export function l2Full(rows: usize, stride: i32, len: i32, scales: usize, q: usize, ids: usize, m: i32, out: usize): void {
  const n = <usize>len;
  for (let j = 0; j < m; j++) {
    const slot = <usize>load<i32>(ids + (<usize>j << 2));
    const h = rows + slot * <usize>stride;
    const l = h + n;
    const sc = f32x4.splat(load<f32>(scales + (slot << 2)));
    let a0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    for (let d: usize = 0; d < n; d += 16) {
      const x = v128.load(h + d);
      const y = v128.load(l + d);
      const wl = widen(x, y, true);
      const wh = widen(x, y, false);
      const qq = q + (d << 2);
      let e = f32x4.sub(v128.load(qq), f32x4.mul(lanesF32(wl, true), sc));
      a0 = f32x4.add(a0, f32x4.mul(e, e));
      e = f32x4.sub(v128.load(qq, 16), f32x4.mul(lanesF32(wl, false), sc));
      a1 = f32x4.add(a1, f32x4.mul(e, e));
      e = f32x4.sub(v128.load(qq, 32), f32x4.mul(lanesF32(wh, true), sc));
      a0 = f32x4.add(a0, f32x4.mul(e, e));
      e = f32x4.sub(v128.load(qq, 48), f32x4.mul(lanesF32(wh, false), sc));
      a1 = f32x4.add(a1, f32x4.mul(e, e));
    }
    store<f32>(out + (<usize>j << 2), fsum(f32x4.add(a0, a1)));
  }
}

// ---------------------------------------------------------------------------------------
// Encoding: random sign flips, a fast Walsh–Hadamard transform, then one bit per sign.

/**
 * v[0..n) *= flips, then an in-place unnormalised Walsh–Hadamard transform (n a power of
 * two >= 64), then packs bit i = (v[i] > 0): words [0, w1) to out1, the rest to out2.
 */
export function encodeSigns(v: usize, flips: usize, n: i32, out1: usize, w1: i32, out2: usize): void {
  const bytes = <usize>n << 2;
  const sign1 = f32x4(1, -1, 1, -1);
  const sign2 = f32x4(1, 1, -1, -1);
  for (let i: usize = 0; i < bytes; i += 16) {
    const a = f32x4.mul(v128.load(v + i), v128.load(flips + i));
    // Butterflies of span 1 and 2 inside one vector.
    const b = f32x4.add(v128.shuffle<f32>(a, a, 0, 0, 2, 2), f32x4.mul(v128.shuffle<f32>(a, a, 1, 1, 3, 3), sign1));
    v128.store(v + i, f32x4.add(v128.shuffle<f32>(b, b, 0, 1, 0, 1), f32x4.mul(v128.shuffle<f32>(b, b, 2, 3, 2, 3), sign2)));
  }
  for (let h: usize = 16; h < bytes; h <<= 1) {
    for (let i: usize = 0; i < bytes; i += h << 1) {
      for (let j = i; j < i + h; j += 16) {
        const p = v + j;
        const x = v128.load(p);
        const y = v128.load(p + h);
        v128.store(p, f32x4.add(x, y));
        v128.store(p + h, f32x4.sub(x, y));
      }
    }
  }
  const zero = f32x4.splat(0);
  const words = n >> 6;
  for (let w = 0; w < words; w++) {
    const p = v + (<usize>w << 8);
    let bits: u64 = 0;
    for (let k = 0; k < 16; k++) {
      bits |= <u64>i32x4.bitmask(f32x4.gt(v128.load(p + (<usize>k << 4)), zero)) << (<u64>k << 2);
    }
    if (w < w1) store<u64>(out1 + (<usize>w << 3), bits);
    else store<u64>(out2 + (<usize>(w - w1) << 3), bits);
  }
}

/**
 * Query preparation: q[0..n) *= unit in place, copied to rot (zero-padded to `rotation`
 * floats) and q zero-padded to `len` floats; then q16[i] = round(q[i] · limit / max|q|)
 * (zero-padded to len). Returns max|q|.
 */
export function prepareQuery(q: usize, n: i32, len: i32, unit: f32, rot: usize, rotation: i32, q16: usize, limit: f32): f32 {
  const u = f32x4.splat(unit);
  let mx = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = <usize>i << 2;
    const v = f32x4.mul(v128.load(q + p), u);
    v128.store(q + p, v);
    v128.store(rot + p, v);
    mx = f32x4.max(mx, f32x4.abs(v));
  }
  let peak = max<f32>(max<f32>(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1)), max<f32>(f32x4.extract_lane(mx, 2), f32x4.extract_lane(mx, 3)));
  for (; i < n; i++) {
    const p = <usize>i << 2;
    const v = load<f32>(q + p) * unit;
    store<f32>(q + p, v);
    store<f32>(rot + p, v);
    peak = max<f32>(peak, abs<f32>(v));
  }
  memory.fill(q + (<usize>n << 2), 0, <usize>(len - n) << 2);
  memory.fill(rot + (<usize>n << 2), 0, <usize>(rotation - n) << 2);
  const s = f32x4.splat(peak > 0 ? limit / peak : 0);
  for (let j = 0; j < len; j += 8) {
    const p = q + (<usize>j << 2);
    const a = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(p), s)));
    const b = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(p, 16), s)));
    v128.store(q16 + (<usize>j << 1), i16x8.narrow_i32x4_s(a, b));
  }
  return peak;
}
