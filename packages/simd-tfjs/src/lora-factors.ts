import type { LoraWeights } from '@microlora/core';

/**
 * Highest rank whose expand runs in JS, fused with the add into y. For a micro
 * adapter (rank ≤ 4, the spec's range) the expand is `rank` multiply-adds per
 * output, about the cost of adding a tfjs-computed delta into y, so computing
 * it on tfjs only adds a rows × out round trip; from rank 5 on tfjs expands.
 */
export const JS_EXPAND_MAX_RANK = 4;

/**
 * Writes s·Aᵀ into columns [col0, col0 + rank) of `out`, an in × stride
 * row-major matrix (stride defaults to rank: just s·Aᵀ). Our A is stored
 * rank × in; tfjs-wasm multiplies X·W fastest with W laid out in × cols
 * (XNNPACK's fully-connected path; transposeB costs ~3×), and folding s here
 * saves one tfjs op per adapter. Returns the in × stride view.
 */
export function scaledTransposedA(lora: LoraWeights, s: number, out: Float32Array, stride = lora.rank, col0 = 0): Float32Array {
  const { rank, inFeatures: n, a } = lora;
  for (let r = 0; r < rank; r++) {
    const row = r * n;
    const col = col0 + r;
    for (let i = 0; i < n; i++) out[i * stride + col] = s * (a[row + i] as number);
  }
  return out.subarray(0, stride * n);
}

/**
 * y[yo .. yo+m) += Σ_r h[ho+r]·b[r·m .. (r+1)·m): the expand of one row, b = Bᵀ
 * (rank × out). Two ranks per pass so y is loaded and stored once per pair.
 */
export function addExpanded(y: Float32Array, yo: number, h: Float32Array, ho: number, b: Float32Array, rank: number, m: number): void {
  let r = 0;
  for (; r + 1 < rank; r += 2) {
    const c0 = h[ho + r] as number;
    const c1 = h[ho + r + 1] as number;
    const b0 = r * m;
    const b1 = b0 + m;
    for (let o = 0; o < m; o++) y[yo + o] = (y[yo + o] as number) + (c0 * (b[b0 + o] as number) + c1 * (b[b1 + o] as number));
  }
  if (r < rank) {
    const c0 = h[ho + r] as number;
    const b0 = r * m;
    for (let o = 0; o < m; o++) y[yo + o] = (y[yo + o] as number) + c0 * (b[b0 + o] as number);
  }
}

/** `buffer` if it holds `length` values, else a new larger one (grow-only scratch). */
export function atLeast(buffer: Float32Array, length: number): Float32Array {
  return buffer.length >= length ? buffer : new Float32Array(Math.max(length, buffer.length * 2));
}
