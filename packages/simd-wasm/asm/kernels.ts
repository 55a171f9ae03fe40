// SimdOps kernels in WebAssembly SIMD128 (AssemblyScript, compiled by scripts/build-wasm.mjs).
// Arguments are byte pointers into this module's memory, element counts and scalars; nothing
// here allocates, so the module carries no runtime: the JS arena owns the memory.
// V8 lowers f32x4.min/max to ~9 instructions (NaN semantics), so reductions use pmax or
// integer max instead, and loops step a single offset to keep address arithmetic cheap.

/** First byte the JS arena may use (end of static data). */
export function heapBase(): usize {
  return __heap_base;
}

@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** Σ a[i]·b[i] with four independent accumulators (hides the add latency). */
export function dot(a: usize, b: usize, n: i32): f32 {
  let s0 = f32x4.splat(0);
  let s1 = s0;
  let s2 = s0;
  let s3 = s0;
  const bytes = <usize>n << 2;
  const end16 = bytes & ~63;
  let i: usize = 0;
  for (; i < end16; i += 64) {
    s0 = f32x4.add(s0, f32x4.mul(v128.load(a + i), v128.load(b + i)));
    s1 = f32x4.add(s1, f32x4.mul(v128.load(a + i, 16), v128.load(b + i, 16)));
    s2 = f32x4.add(s2, f32x4.mul(v128.load(a + i, 32), v128.load(b + i, 32)));
    s3 = f32x4.add(s3, f32x4.mul(v128.load(a + i, 48), v128.load(b + i, 48)));
  }
  const end4 = bytes & ~15;
  for (; i < end4; i += 16) s0 = f32x4.add(s0, f32x4.mul(v128.load(a + i), v128.load(b + i)));
  let s = hsum(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)));
  for (; i < bytes; i += 4) s += load<f32>(a + i) * load<f32>(b + i);
  return s;
}

/** y += alpha·x. */
export function axpy(alpha: f32, x: usize, y: usize, n: i32): void {
  const va = f32x4.splat(alpha);
  const bytes = <usize>n << 2;
  const end8 = bytes & ~31;
  let i: usize = 0;
  for (; i < end8; i += 32) {
    v128.store(y + i, f32x4.add(v128.load(y + i), f32x4.mul(va, v128.load(x + i))));
    v128.store(y + i, f32x4.add(v128.load(y + i, 16), f32x4.mul(va, v128.load(x + i, 16))), 16);
  }
  if (bytes & 16) {
    v128.store(y + i, f32x4.add(v128.load(y + i), f32x4.mul(va, v128.load(x + i))));
    i += 16;
  }
  for (; i < bytes; i += 4) store<f32>(y + i, load<f32>(y + i) + alpha * load<f32>(x + i));
}

/** out = alpha·x (out may be x). */
export function scale(x: usize, alpha: f32, out: usize, n: i32): void {
  const va = f32x4.splat(alpha);
  const bytes = <usize>n << 2;
  const end4 = bytes & ~15;
  let i: usize = 0;
  for (; i < end4; i += 16) v128.store(out + i, f32x4.mul(va, v128.load(x + i)));
  for (; i < bytes; i += 4) store<f32>(out + i, alpha * load<f32>(x + i));
}

/** out = a + t·(b − a) (out may be a or b). */
export function lerp(a: usize, b: usize, t: f32, out: usize, n: i32): void {
  const vt = f32x4.splat(t);
  const bytes = <usize>n << 2;
  const end4 = bytes & ~15;
  let i: usize = 0;
  for (; i < end4; i += 16) {
    const va = v128.load(a + i);
    v128.store(out + i, f32x4.add(va, f32x4.mul(vt, f32x4.sub(v128.load(b + i), va))));
  }
  for (; i < bytes; i += 4) {
    const sa = load<f32>(a + i);
    store<f32>(out + i, sa + t * (load<f32>(b + i) - sa));
  }
}

/**
 * max |x[i]|, NaN if any entry is NaN. With the sign bit cleared, float order is integer
 * order and every NaN pattern lies above +∞, so one integer max does both.
 */
export function maxAbs(x: usize, n: i32): f32 {
  const mask = i32x4.splat(0x7fffffff);
  let m0 = i32x4.splat(0);
  let m1 = m0;
  const bytes = <usize>n << 2;
  const end8 = bytes & ~31;
  let i: usize = 0;
  for (; i < end8; i += 32) {
    m0 = i32x4.max_s(m0, v128.and(v128.load(x + i), mask));
    m1 = i32x4.max_s(m1, v128.and(v128.load(x + i, 16), mask));
  }
  if (bytes & 16) {
    m0 = i32x4.max_s(m0, v128.and(v128.load(x + i), mask));
    i += 16;
  }
  m0 = i32x4.max_s(m0, m1);
  let m = max(max(i32x4.extract_lane(m0, 0), i32x4.extract_lane(m0, 1)), max(i32x4.extract_lane(m0, 2), i32x4.extract_lane(m0, 3)));
  for (; i < bytes; i += 4) m = max(m, load<i32>(x + i) & 0x7fffffff);
  return reinterpret<f32>(m);
}

/** 1 when x holds a NaN or ±∞, else 0 (x − x is NaN exactly for those). */
export function hasNonFinite(x: usize, n: i32): i32 {
  let c0 = f32x4.splat(0);
  let c1 = c0;
  const bytes = <usize>n << 2;
  const end8 = bytes & ~31;
  let i: usize = 0;
  for (; i < end8; i += 32) {
    const v = v128.load(x + i);
    const w = v128.load(x + i, 16);
    c0 = f32x4.add(c0, f32x4.sub(v, v));
    c1 = f32x4.add(c1, f32x4.sub(w, w));
  }
  let c = hsum(f32x4.add(c0, c1));
  for (; i < bytes; i += 4) {
    const v = load<f32>(x + i);
    c += v - v;
  }
  return i32(c != 0);
}

// Vector constants live in a table read with load32_splat: a v128.const costs 18 bytes of
// code at every use, and the module must stay under Chromium's 4 KB synchronous-compile limit.
const K = memory.data<f32>([
  -87.33654, // 0: e^x below this is under f32's smallest normal: flushed to 0
  12583039.0, // 4: 1.5·2^23 + 127 (round-to-integer magic plus the exponent bias)
  1.44269504, // 8: log2(e)
  0.693359375, // 12: ln2, high part
  -2.12194440e-4, // 16: ln2, low part
  1.98756915e-4, // 20: exp polynomial, degree 6 … 2
  1.39819995e-3,
  8.33345191e-3,
  4.16657959e-2,
  1.66666655e-1,
  5.00000012e-1, // 40
  1.0, // 44
  65536.0, // 48: |x/scale| cap of quantize
  -65536.0, // 52
  0.49999997, // 56: pred(0.5)
  -0.0, // 60: sign bit
  12582912.0, // 64: 1.5·2^23
  -Infinity, // 68: max's identity, and the tail padding (e^(−∞ − m) is 0 for every finite m)
]);

@inline function k(offset: usize): v128 {
  return v128.load32_splat(K + offset);
}

/**
 * out = softmax(x) (out may be x). Returns 1 without writing when x holds a NaN or ±∞,
 * 0 otherwise. One loop handles the 1–3 tail elements too (−∞ padding lanes exp to 0), so
 * the exp is inlined once and every element goes through the same code.
 */
export function softmax(x: usize, out: usize, n: i32): i32 {
  if (hasNonFinite(x, n)) return 1;
  const bytes = <usize>n << 2;
  const end4 = bytes & ~15;
  let m0 = k(68);
  let m1 = m0;
  let i: usize = 0;
  for (; i + 32 <= bytes; i += 32) {
    m0 = f32x4.pmax(m0, v128.load(x + i));
    m1 = f32x4.pmax(m1, v128.load(x + i, 16));
  }
  for (; i < end4; i += 16) m0 = f32x4.pmax(m0, v128.load(x + i));
  m0 = f32x4.pmax(m0, m1);
  let m = max(max(f32x4.extract_lane(m0, 0), f32x4.extract_lane(m0, 1)), max(f32x4.extract_lane(m0, 2), f32x4.extract_lane(m0, 3)));
  for (; i < bytes; i += 4) m = max(m, load<f32>(x + i));
  const vm = f32x4.splat(m);
  let sum = f32x4.splat(0);
  // e^(x−m) (Cephes expf: e^x = 2^k·e^r, |r| ≤ ln2/2, degree-6 polynomial, ~1 ulp). Adding
  // 1.5·2^23 + 127 rounds x·log2(e) to the integer k and leaves k + 127 in the low mantissa
  // bits, so shifting those into the exponent field gives 2^k. Constants are hoisted: V8
  // does not move loads out of loops.
  const lo = k(0);
  const magic = k(4);
  const log2e = k(8);
  const ln2Hi = k(12);
  const ln2Lo = k(16);
  const p6 = k(20);
  const p5 = k(24);
  const p4 = k(28);
  const p3 = k(32);
  const p2 = k(36);
  const p1 = k(40);
  const one = k(44);
  for (i = 0; i < bytes; i += 16) {
    let v = k(68);
    if (i < end4) {
      v = v128.load(x + i);
    } else {
      v = f32x4.replace_lane(v, 0, load<f32>(x + i));
      if (i + 4 < bytes) v = f32x4.replace_lane(v, 1, load<f32>(x + i, 4));
      if (i + 8 < bytes) v = f32x4.replace_lane(v, 2, load<f32>(x + i, 8));
    }
    let d = f32x4.sub(v, vm);
    // x − m is not always a float32: TwoSum recovers its rounding error exactly (dLo, added
    // to the reduced argument below), so exp sees the exact difference as float64 would.
    const t = f32x4.sub(d, v);
    const dLo = f32x4.sub(f32x4.sub(v, f32x4.sub(d, t)), f32x4.add(vm, t));
    const underflow = f32x4.lt(d, lo);
    d = f32x4.pmax(d, lo);
    const kBits = f32x4.add(f32x4.mul(d, log2e), magic);
    const kf = f32x4.sub(kBits, magic);
    const r = f32x4.add(f32x4.sub(f32x4.sub(d, f32x4.mul(kf, ln2Hi)), f32x4.mul(kf, ln2Lo)), dLo);
    let p = f32x4.add(f32x4.mul(p6, r), p5);
    p = f32x4.add(f32x4.mul(p, r), p4);
    p = f32x4.add(f32x4.mul(p, r), p3);
    p = f32x4.add(f32x4.mul(p, r), p2);
    p = f32x4.add(f32x4.mul(p, r), p1);
    const y = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), one);
    const e = v128.andnot(f32x4.mul(y, i32x4.shl(kBits, 23)), underflow);
    sum = f32x4.add(sum, e);
    if (i < end4) {
      v128.store(out + i, e);
    } else {
      store<f32>(out + i, f32x4.extract_lane(e, 0));
      if (i + 4 < bytes) store<f32>(out + i, f32x4.extract_lane(e, 1), 4);
      if (i + 8 < bytes) store<f32>(out + i, f32x4.extract_lane(e, 2), 8);
    }
  }
  const s = hsum(sum);
  const vs = f32x4.splat(s);
  for (i = 0; i < end4; i += 16) v128.store(out + i, f32x4.div(v128.load(out + i), vs));
  for (; i < bytes; i += 4) store<f32>(out + i, load<f32>(out + i) / s);
  return 0;
}

/** y = alpha·M·x + beta·y, M rows × cols row-major; beta = 0 never reads y (BLAS convention). */
export function gemv(mat: usize, rows: i32, cols: i32, x: usize, y: usize, alpha: f64, beta: f64): void {
  const row = <usize>cols << 2;
  const end = y + (<usize>rows << 2);
  for (; y < end; y += 4) {
    const d = alpha * <f64>dot(mat, x, cols);
    store<f32>(y, <f32>(beta == 0 ? d : d + beta * <f64>load<f32>(y)));
    mat += row;
  }
}

let h0: f32 = 0;
let h1: f32 = 0;

/** h0 = a0·x and h1 = a1·x in one pass over x. */
function dot2(a0: usize, a1: usize, x: usize, n: i32): void {
  let s0 = f32x4.splat(0);
  let s1 = s0;
  let t0 = s0;
  let t1 = s0;
  const bytes = <usize>n << 2;
  const end8 = bytes & ~31;
  let i: usize = 0;
  for (; i < end8; i += 32) {
    const x0 = v128.load(x + i);
    const x1 = v128.load(x + i, 16);
    s0 = f32x4.add(s0, f32x4.mul(v128.load(a0 + i), x0));
    t0 = f32x4.add(t0, f32x4.mul(v128.load(a1 + i), x0));
    s1 = f32x4.add(s1, f32x4.mul(v128.load(a0 + i, 16), x1));
    t1 = f32x4.add(t1, f32x4.mul(v128.load(a1 + i, 16), x1));
  }
  if (bytes & 16) {
    const x0 = v128.load(x + i);
    s0 = f32x4.add(s0, f32x4.mul(v128.load(a0 + i), x0));
    t0 = f32x4.add(t0, f32x4.mul(v128.load(a1 + i), x0));
    i += 16;
  }
  let u = hsum(f32x4.add(s0, s1));
  let w = hsum(f32x4.add(t0, t1));
  for (; i < bytes; i += 4) {
    const xv = load<f32>(x + i);
    u += load<f32>(a0 + i) * xv;
    w += load<f32>(a1 + i) * xv;
  }
  h0 = u;
  h1 = w;
}

/** y += c0·b0 + c1·b1 in one pass over y. */
function axpy2(c0: f32, b0: usize, c1: f32, b1: usize, y: usize, m: i32): void {
  const v0 = f32x4.splat(c0);
  const v1 = f32x4.splat(c1);
  const bytes = <usize>m << 2;
  const end8 = bytes & ~31;
  let i: usize = 0;
  for (; i < end8; i += 32) {
    v128.store(y + i, f32x4.add(v128.load(y + i), f32x4.add(f32x4.mul(v0, v128.load(b0 + i)), f32x4.mul(v1, v128.load(b1 + i)))));
    v128.store(
      y + i,
      f32x4.add(v128.load(y + i, 16), f32x4.add(f32x4.mul(v0, v128.load(b0 + i, 16)), f32x4.mul(v1, v128.load(b1 + i, 16)))),
      16,
    );
  }
  if (bytes & 16) {
    v128.store(y + i, f32x4.add(v128.load(y + i), f32x4.add(f32x4.mul(v0, v128.load(b0 + i)), f32x4.mul(v1, v128.load(b1 + i)))));
    i += 16;
  }
  for (; i < bytes; i += 4) store<f32>(y + i, load<f32>(y + i) + (c0 * load<f32>(b0 + i) + c1 * load<f32>(b1 + i)));
}

/**
 * y += s·B(A x) for the rank-major layout (a: rank × n, b = Bᵀ: rank × m).
 * Ranks go in pairs so x and y are each streamed once per two ranks.
 */
export function loraApply(a: usize, b: usize, rank: i32, n: i32, m: i32, x: usize, y: usize, s: f32): void {
  const rowA = <usize>n << 2;
  const rowB = <usize>m << 2;
  let r = 0;
  for (; r + 2 <= rank; r += 2) {
    dot2(a, a + rowA, x, n);
    axpy2(s * h0, b, s * h1, b + rowB, y, m);
    a += rowA << 1;
    b += rowB << 1;
  }
  if (r < rank) axpy(s * dot(a, x, n), b, y, m);
}

// Four lanes of clamp(roundHalfAway(x·inv)) + zp as i32. |x·inv| is capped at 2^16 first, so
// adding a zero point in [−32768, 32767] cannot overflow and the integer conversion below is
// exact; the clamp to [−128, 127] is the caller's saturating narrow. trunc(w + copysign(0.49999997, w))
// rounds half away from zero exactly (pred(0.5) never pushes a value below .5 up; adding 0.5 would).
// Adding 1.5·2^23 leaves the integer in the low mantissa bits; zpMagic = zp − bits(1.5·2^23).
@inline function quantize4(v: v128, inv: v128, zpMagic: v128, lo: v128, hi: v128, half: v128, sign: v128, magic: v128): v128 {
  const w = f32x4.pmin(f32x4.pmax(f32x4.mul(v, inv), lo), hi);
  const r = f32x4.trunc(f32x4.add(w, v128.or(half, v128.and(w, sign))));
  return i32x4.add(f32x4.add(r, magic), zpMagic);
}

/**
 * out[i] = clamp(roundHalfAway(x[i]·inv) + zeroPoint, −128, 127) with inv = 1/scale rounded to f32:
 * within f32 rounding of x/scale, and exact ties stay exact. x must be finite (checked first).
 */
export function quantizeI8(x: usize, n: i32, inv: f32, zeroPoint: i32, out: usize): void {
  const vi = f32x4.splat(inv);
  const vz = i32x4.splat(zeroPoint - 0x4b400000);
  const lo = k(52);
  const hi = k(48);
  const half = k(56);
  const sign = k(60);
  const magic = k(64);
  const end16 = <usize>n & ~15;
  let i: usize = 0;
  for (; i < end16; i += 16) {
    const p = x + (i << 2);
    const a = quantize4(v128.load(p), vi, vz, lo, hi, half, sign, magic);
    const b = quantize4(v128.load(p, 16), vi, vz, lo, hi, half, sign, magic);
    const c = quantize4(v128.load(p, 32), vi, vz, lo, hi, half, sign, magic);
    const d = quantize4(v128.load(p, 48), vi, vz, lo, hi, half, sign, magic);
    v128.store(out + i, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(a, b), i16x8.narrow_i32x4_s(c, d)));
  }
  for (; i < <usize>n; i++) {
    const k = i32x4.extract_lane(quantize4(f32x4.splat(load<f32>(x + (i << 2))), vi, vz, lo, hi, half, sign, magic), 0);
    store<i8>(out + i, max(-128, min(127, k)));
  }
}

/**
 * out[i] = (q[i] − zeroPoint)·scale: an exact integer difference, one f32 multiply.
 * The difference fits i16 when |zeroPoint| ≤ 32640 (the usual case: no i32 subtraction).
 */
export function dequantizeI8(q: usize, n: i32, scale: f32, zeroPoint: i32, out: usize): void {
  const vs = f32x4.splat(scale);
  const end8 = <usize>n & ~7;
  let i: usize = 0;
  if (zeroPoint == 0) {
    for (; i < end8; i += 8) {
      const k = v128.load8x8_s(q + i);
      const p = out + (i << 2);
      v128.store(p, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(k)), vs));
      v128.store(p, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(k)), vs), 16);
    }
  } else if (zeroPoint >= -32640 && zeroPoint <= 32640) {
    const vz = i16x8.splat(<i16>zeroPoint);
    for (; i < end8; i += 8) {
      const k = i16x8.sub(v128.load8x8_s(q + i), vz);
      const p = out + (i << 2);
      v128.store(p, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(k)), vs));
      v128.store(p, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(k)), vs), 16);
    }
  } else {
    const vz = i32x4.splat(zeroPoint);
    for (; i < end8; i += 8) {
      const k = v128.load8x8_s(q + i);
      const p = out + (i << 2);
      v128.store(p, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_low_i16x8_s(k), vz)), vs));
      v128.store(p, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_high_i16x8_s(k), vz)), vs), 16);
    }
  }
  for (; i < <usize>n; i++) store<f32>(out + (i << 2), f32(i32(load<i8>(q + i)) - zeroPoint) * scale);
}
