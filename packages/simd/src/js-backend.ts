import type { LoraWeights } from '@microlora/core';
import {
  assertGemvArgs,
  assertLoraApplyArgs,
  assertLoraBatchArgs,
  assertQuantParams,
  lengthMismatch,
  nonFiniteInput,
} from './checks.js';
import type { SimdOps } from './ops.js';

// Every kernel accumulates in float64 (JS numbers) with several independent
// partial sums so that the CPU can overlap the multiply-adds, and takes array
// offsets instead of subarrays so that batch loops allocate nothing.

/** Σ a[ao+i]·b[bo+i] for i < n, four partial sums. */
function dotAt(a: Float32Array, ao: number, b: Float32Array, bo: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  const n4 = n - 3;
  for (; i < n4; i += 4) {
    s0 += (a[ao + i] as number) * (b[bo + i] as number);
    s1 += (a[ao + i + 1] as number) * (b[bo + i + 1] as number);
    s2 += (a[ao + i + 2] as number) * (b[bo + i + 2] as number);
    s3 += (a[ao + i + 3] as number) * (b[bo + i + 3] as number);
  }
  for (; i < n; i++) s0 += (a[ao + i] as number) * (b[bo + i] as number);
  return s0 + s1 + (s2 + s3);
}

/**
 * h[r] = A[r]·x and h[r+1] = A[r+1]·x in one pass over x (each x load feeds two
 * products), with four partial sums per row: one sum per row would make the
 * loop wait on add latency.
 */
function shrinkPair(a: Float32Array, p: number, n: number, x: Float32Array, xo: number, h: Float64Array, r: number): void {
  const q = p + n;
  let p0 = 0;
  let p1 = 0;
  let p2 = 0;
  let p3 = 0;
  let q0 = 0;
  let q1 = 0;
  let q2 = 0;
  let q3 = 0;
  let i = 0;
  const n4 = n - 3;
  for (; i < n4; i += 4) {
    const x0 = x[xo + i] as number;
    const x1 = x[xo + i + 1] as number;
    const x2 = x[xo + i + 2] as number;
    const x3 = x[xo + i + 3] as number;
    p0 += (a[p + i] as number) * x0;
    p1 += (a[p + i + 1] as number) * x1;
    p2 += (a[p + i + 2] as number) * x2;
    p3 += (a[p + i + 3] as number) * x3;
    q0 += (a[q + i] as number) * x0;
    q1 += (a[q + i + 1] as number) * x1;
    q2 += (a[q + i + 2] as number) * x2;
    q3 += (a[q + i + 3] as number) * x3;
  }
  for (; i < n; i++) {
    const x0 = x[xo + i] as number;
    p0 += (a[p + i] as number) * x0;
    q0 += (a[q + i] as number) * x0;
  }
  h[r] = p0 + p1 + (p2 + p3);
  h[r + 1] = q0 + q1 + (q2 + q3);
}

// Expand kernels: y += Σ c_k·b[row k], up to four rows per pass so that y is
// loaded, rounded to float32 and stored once per four ranks. Kept as separate
// small functions: V8 compiles a rank-2 call measurably slower when the
// 4-row loop sits, unexecuted, in the same function.

function expand4(b: Float32Array, b0: number, m: number, y: Float32Array, yo: number, c0: number, c1: number, c2: number, c3: number): void {
  const b1 = b0 + m;
  const b2 = b1 + m;
  const b3 = b2 + m;
  for (let o = 0; o < m; o++) {
    y[yo + o] =
      (y[yo + o] as number) +
      (c0 * (b[b0 + o] as number) + c1 * (b[b1 + o] as number)) +
      (c2 * (b[b2 + o] as number) + c3 * (b[b3 + o] as number));
  }
}

function expand2(b: Float32Array, b0: number, m: number, y: Float32Array, yo: number, c0: number, c1: number): void {
  const b1 = b0 + m;
  for (let o = 0; o < m; o++) {
    y[yo + o] = (y[yo + o] as number) + c0 * (b[b0 + o] as number) + c1 * (b[b1 + o] as number);
  }
}

function expand1(b: Float32Array, b0: number, m: number, y: Float32Array, yo: number, c0: number): void {
  for (let o = 0; o < m; o++) y[yo + o] = (y[yo + o] as number) + c0 * (b[b0 + o] as number);
}

/**
 * y[yo..yo+m) += s·Σ_r (A[r]·x[xo..xo+n))·b[r] for one adapter (the shared
 * kernel of loraApply and loraApplyBatch). `h` is scratch of at least `rank` entries.
 */
function loraAt(
  a: Float32Array,
  b: Float32Array,
  rank: number,
  n: number,
  m: number,
  s: number,
  x: Float32Array,
  xo: number,
  y: Float32Array,
  yo: number,
  h: Float64Array,
): void {
  let r = 0;
  for (; r + 1 < rank; r += 2) shrinkPair(a, r * n, n, x, xo, h, r);
  if (r < rank) h[r] = dotAt(a, r * n, x, xo, n);
  r = 0;
  for (; r + 3 < rank; r += 4) {
    expand4(b, r * m, m, y, yo, s * (h[r] as number), s * (h[r + 1] as number), s * (h[r + 2] as number), s * (h[r + 3] as number));
  }
  if (r + 1 < rank) {
    expand2(b, r * m, m, y, yo, s * (h[r] as number), s * (h[r + 1] as number));
    r += 2;
  }
  if (r < rank) expand1(b, r * m, m, y, yo, s * (h[r] as number));
}

/** Rounds half away from zero (Math.round rounds half toward +∞). */
function roundHalfAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

/**
 * The pure-JS reference backend: no native code, runs everywhere, allocates
 * nothing per call (loraApply/loraApplyBatch reuse one scratch buffer that
 * grows to the largest rank seen). Side-effect free: importing this module
 * does not register it (`@microlora/simd` does, as "js").
 */
export function createJsBackend(): SimdOps {
  // Per-rank intermediates (s·A[r]·x) of the adapter being applied.
  let scratch = new Float64Array(16);
  const scratchFor = (rank: number): Float64Array => {
    if (scratch.length < rank) scratch = new Float64Array(Math.max(rank, scratch.length * 2));
    return scratch;
  };

  return {
    name: 'js',

    dot(a, b) {
      if (a.length !== b.length) throw lengthMismatch('dot', 'b', b.length, 'a', a.length);
      return dotAt(a, 0, b, 0, a.length);
    },

    axpy(alpha, x, y) {
      const n = x.length;
      if (y.length !== n) throw lengthMismatch('axpy', 'y', y.length, 'x', n);
      for (let i = 0; i < n; i++) y[i] = (y[i] as number) + alpha * (x[i] as number);
    },

    scale(x, alpha, out) {
      const n = x.length;
      if (out.length !== n) throw lengthMismatch('scale', 'out', out.length, 'x', n);
      for (let i = 0; i < n; i++) out[i] = alpha * (x[i] as number);
    },

    lerp(a, b, t, out) {
      const n = a.length;
      if (b.length !== n) throw lengthMismatch('lerp', 'b', b.length, 'a', n);
      if (out.length !== n) throw lengthMismatch('lerp', 'out', out.length, 'a', n);
      for (let i = 0; i < n; i++) {
        const ai = a[i] as number;
        out[i] = ai + t * ((b[i] as number) - ai);
      }
    },

    softmax(x, out) {
      const n = x.length;
      if (out.length !== n) throw lengthMismatch('softmax', 'out', out.length, 'x', n);
      // One pass finds the max and rejects non-finite input before anything is written.
      let max = -Infinity;
      for (let i = 0; i < n; i++) {
        const v = x[i] as number;
        if (v - v !== 0) throw nonFiniteInput('softmax', 'x', i, v);
        if (v > max) max = v;
      }
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const e = Math.exp((x[i] as number) - max);
        out[i] = e;
        sum += e;
      }
      // sum ≥ 1 (the max contributes exp(0)), so the division is safe; out holds f32-rounded e.
      const inv = 1 / sum;
      for (let i = 0; i < n; i++) out[i] = (out[i] as number) * inv;
    },

    maxAbs(x) {
      let max = 0;
      for (let i = 0; i < x.length; i++) {
        const v = Math.abs(x[i] as number);
        if (!(v <= max)) {
          if (v !== v) return NaN;
          max = v;
        }
      }
      return max;
    },

    gemv(m, rows, cols, x, y, alpha = 1, beta = 0) {
      assertGemvArgs(m, rows, cols, x, y);
      for (let r = 0; r < rows; r++) {
        const mx = alpha * dotAt(m, r * cols, x, 0, cols);
        // beta = 0 never reads y (BLAS): NaN already in y must not leak.
        y[r] = beta === 0 ? mx : mx + beta * (y[r] as number);
      }
    },

    loraApply(lora, x, y, scale = 1) {
      assertLoraApplyArgs(lora, x, y);
      const { rank } = lora;
      loraAt(lora.a, lora.b, rank, lora.inFeatures, lora.outFeatures, lora.scaling * scale, x, 0, y, 0, scratchFor(rank));
    },

    loraApplyBatch(adapters, adapterIndex, x, y, rows) {
      assertLoraBatchArgs(adapters, adapterIndex, x, y, rows);
      const first = adapters[0];
      if (first === undefined) return; // every index is negative (checked): nothing to add
      const n = first.inFeatures;
      const m = first.outFeatures;
      let maxRank = 0;
      for (let k = 0; k < adapters.length; k++) maxRank = Math.max(maxRank, (adapters[k] as LoraWeights).rank);
      const h = scratchFor(maxRank);
      for (let row = 0; row < rows; row++) {
        const k = adapterIndex[row] as number;
        if (k < 0) continue;
        const lora = adapters[k] as LoraWeights;
        loraAt(lora.a, lora.b, lora.rank, n, m, lora.scaling, x, row * n, y, row * m, h);
      }
    },

    quantizeI8(x, scale, out, zeroPoint = 0) {
      const n = x.length;
      if (out.length !== n) throw lengthMismatch('quantizeI8', 'out', out.length, 'x', n);
      assertQuantParams('quantizeI8', scale, zeroPoint);
      for (let i = 0; i < n; i++) {
        const v = x[i] as number;
        if (v - v !== 0) throw nonFiniteInput('quantizeI8', 'x', i, v);
        const q = roundHalfAway(v / scale) + zeroPoint;
        out[i] = q > 127 ? 127 : q < -128 ? -128 : q;
      }
    },

    dequantizeI8(q, scale, out, zeroPoint = 0) {
      const n = q.length;
      if (out.length !== n) throw lengthMismatch('dequantizeI8', 'out', out.length, 'q', n);
      assertQuantParams('dequantizeI8', scale, zeroPoint);
      for (let i = 0; i < n; i++) out[i] = ((q[i] as number) - zeroPoint) * scale;
    },
  };
}
