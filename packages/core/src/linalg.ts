/**
 * Small dense float64 linear algebra for LoRA re-compression and rank truncation.
 * Matrices are column-major Float64Arrays: column j of a rows × cols matrix is
 * `x[j*rows … (j+1)*rows)`. A LoRA's rank-major factors are already in this layout
 * (`b` is B as out × rank, `a` is Aᵀ as in × rank), so no transposes are needed.
 */
import { MicroLoraError } from './errors.js';
import { assertAllFinite, assertInteger, assertLength } from './validate.js';

/** A column whose residual after projection is at most this fraction of its norm counts as dependent. */
const DEPENDENT_COLUMN_TOLERANCE = 1e-13;
/** Jacobi stops rotating a pair once |wₚ·w_q| ≤ this × ‖wₚ‖‖w_q‖ (a few ulps). */
const JACOBI_TOLERANCE = 1e-15;
const DEFAULT_MAX_SWEEPS = 60;

/** Thin QR of a rows × cols matrix x: x = q·r. */
export interface ThinQr {
  /** rows × cols, column-major: orthonormal columns, except a zero column where x's column depends on the earlier ones. */
  readonly q: Float64Array;
  /** cols × cols upper triangular, column-major; its row is zero wherever q's column is, so q·r = x still holds. */
  readonly r: Float64Array;
  /** Number of non-zero columns of q: the numerical rank of x. */
  readonly rank: number;
}

/** The SVD of a rows × cols matrix C ≈ u·diag(sigma)·vᵀ, thin: k = min(rows, cols) triplets. */
export interface JacobiSvd {
  /** k singular values, descending. */
  readonly sigma: Float64Array;
  /** rows × k, column-major: unit left singular vectors (a zero column where σ = 0). */
  readonly u: Float64Array;
  /** cols × k, column-major: orthonormal right singular vectors. */
  readonly v: Float64Array;
}

/** The (leading) SVD of a product M = U·Vᵀ given its thin factors, never forming the rows × cols matrix M. */
export interface ProductSvd {
  readonly rows: number;
  readonly cols: number;
  /** k ≤ min(inner, rows, cols) singular values, descending: the numerical rank of the factors, or fewer if asked. */
  readonly sigma: Float64Array;
  /** rows × k, column-major: unit left singular vectors (a zero column where σ = 0). */
  readonly left: Float64Array;
  /** cols × k, column-major: orthonormal right singular vectors. */
  readonly right: Float64Array;
}

/** Any dimension a typed array can hold; the length check is what bounds the work. */
const DIMENSION_MAX = 2 ** 31 - 1;

function assertDimensions(names: readonly string[], values: readonly number[]): void {
  names.forEach((name, i) => assertInteger(name, values[i], 1, DIMENSION_MAX));
}

/** x must be a finite column-major Float64Array of exactly rows × cols entries. */
function assertMatrix(name: string, x: unknown, rows: number, cols: number): asserts x is Float64Array {
  if (!(x instanceof Float64Array)) {
    throw new MicroLoraError('INVALID_ARGUMENT', `${name} must be a column-major Float64Array, got ${Object.prototype.toString.call(x)}`, {
      details: { name },
    });
  }
  assertLength(name, x, rows * cols);
  assertAllFinite(name, x);
}

/** x[xo … xo+n) · y[yo … yo+n) with four partial sums (breaks the add-latency chain). */
function dotAt(x: Float64Array, xo: number, y: Float64Array, yo: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += (x[xo + i] as number) * (y[yo + i] as number);
    s1 += (x[xo + i + 1] as number) * (y[yo + i + 1] as number);
    s2 += (x[xo + i + 2] as number) * (y[yo + i + 2] as number);
    s3 += (x[xo + i + 3] as number) * (y[yo + i + 3] as number);
  }
  for (; i < n; i++) s0 += (x[xo + i] as number) * (y[yo + i] as number);
  return s0 + s1 + (s2 + s3);
}

/** y[yo … yo+n) += a · x[xo … xo+n). */
function axpyAt(a: number, x: Float64Array, xo: number, y: Float64Array, yo: number, n: number): void {
  let i = 0;
  for (; i + 3 < n; i += 4) {
    y[yo + i] = (y[yo + i] as number) + a * (x[xo + i] as number);
    y[yo + i + 1] = (y[yo + i + 1] as number) + a * (x[xo + i + 1] as number);
    y[yo + i + 2] = (y[yo + i + 2] as number) + a * (x[xo + i + 2] as number);
    y[yo + i + 3] = (y[yo + i + 3] as number) + a * (x[xo + i + 3] as number);
  }
  for (; i < n; i++) y[yo + i] = (y[yo + i] as number) + a * (x[xo + i] as number);
}

function thinQrUnchecked(x: Float64Array, rows: number, cols: number): ThinQr {
  const q = x.slice();
  const r = new Float64Array(cols * cols);
  let rank = 0;
  for (let j = 0; j < cols; j++) {
    const cj = j * rows;
    const original = dotAt(q, cj, q, cj, rows);
    let before = original;
    let norm2 = original;
    // Project out the earlier columns, again while that cancelled more than half the norm
    // (Daniel–Gragg–Kaufman–Stewart): "twice is enough" for rounding-level orthogonality.
    for (let pass = 0; pass < 2 && j > 0; pass++) {
      for (let k = 0; k < j; k++) {
        const ck = k * rows;
        const dot = dotAt(q, ck, q, cj, rows);
        if (dot === 0) continue;
        r[j * cols + k] = (r[j * cols + k] as number) + dot;
        axpyAt(-dot, q, ck, q, cj, rows);
      }
      norm2 = dotAt(q, cj, q, cj, rows);
      if (norm2 > 0.5 * before) break;
      before = norm2;
    }
    const norm = Math.sqrt(norm2);
    // What is left of a dependent column is rounding noise: drop it rather than normalise noise.
    if (norm === 0 || norm <= DEPENDENT_COLUMN_TOLERANCE * Math.sqrt(original)) {
      q.fill(0, cj, cj + rows);
      continue;
    }
    r[j * cols + j] = norm;
    rank++;
    for (let i = 0; i < rows; i++) q[cj + i] = (q[cj + i] as number) / norm;
  }
  return { q, r, rank };
}

/**
 * Thin QR of a rows × cols column-major matrix by modified Gram–Schmidt, with a
 * second pass for a column whose first pass cancelled more than half its norm:
 * ‖qᵀq − I‖ and ‖q·r − x‖/‖x‖ at rounding level, and rank-revealing in the sense
 * that a column depending on earlier ones (residual ≤ 1e-13 of its norm) gets a
 * zero q column. O(2–4·rows·cols²); allocates q and r.
 */
export function thinQr(x: Float64Array, rows: number, cols: number): ThinQr {
  assertDimensions(['rows', 'cols'], [rows, cols]);
  assertMatrix('x', x, rows, cols);
  return thinQrUnchecked(x, rows, cols);
}

/** Rotates columns p and q of a column-major matrix with `len` rows by the Givens pair (cs, sn). */
function rotateColumns(x: Float64Array, len: number, p: number, q: number, cs: number, sn: number): void {
  const cp = p * len;
  const cq = q * len;
  for (let i = 0; i < len; i++) {
    const xp = x[cp + i] as number;
    const xq = x[cq + i] as number;
    x[cp + i] = cs * xp - sn * xq;
    x[cq + i] = sn * xp + cs * xq;
  }
}

function jacobiSvdUnchecked(c: Float64Array, rows: number, cols: number, maxSweeps: number): JacobiSvd {
  const w = c.slice();
  const vFull = new Float64Array(cols * cols);
  for (let j = 0; j < cols; j++) vFull[j * cols + j] = 1;
  const norm2 = new Float64Array(cols);
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    // Squared column norms, refreshed every sweep and updated exactly per rotation in between.
    for (let j = 0; j < cols; j++) norm2[j] = dotAt(w, j * rows, w, j * rows, rows);
    let rotated = false;
    for (let p = 0; p < cols - 1; p++) {
      for (let q = p + 1; q < cols; q++) {
        const alpha = norm2[p] as number;
        const beta = norm2[q] as number;
        const gamma = dotAt(w, p * rows, w, q * rows, rows);
        if (gamma === 0 || Math.abs(gamma) <= JACOBI_TOLERANCE * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        // The rotation that zeroes wₚ·w_q, taking the smaller angle for stability.
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const cs = 1 / Math.sqrt(1 + t * t);
        const sn = cs * t;
        rotateColumns(w, rows, p, q, cs, sn);
        rotateColumns(vFull, cols, p, q, cs, sn);
        norm2[p] = alpha - t * gamma;
        norm2[q] = beta + t * gamma;
      }
    }
    if (!rotated) break;
  }
  const norms = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    let s = 0;
    for (let i = 0; i < rows; i++) s += (w[j * rows + i] as number) ** 2;
    norms[j] = Math.sqrt(s);
  }
  const order = Int32Array.from({ length: cols }, (_, j) => j).sort((x, y) => (norms[y] as number) - (norms[x] as number) || x - y);
  const k = Math.min(rows, cols);
  const sigma = new Float64Array(k);
  const u = new Float64Array(rows * k);
  const v = new Float64Array(cols * k);
  for (let t = 0; t < k; t++) {
    const j = order[t] as number;
    const s = norms[j] as number;
    sigma[t] = s;
    v.set(vFull.subarray(j * cols, (j + 1) * cols), t * cols);
    if (s === 0) continue;
    for (let i = 0; i < rows; i++) u[t * rows + i] = (w[j * rows + i] as number) / s;
  }
  return { sigma, u, v };
}

/**
 * Thin SVD of a small rows × cols column-major matrix by one-sided (Hestenes)
 * Jacobi: rotates column pairs of C·V until they are mutually orthogonal, then
 * σⱼ = ‖(C·V)ⱼ‖. Converges quadratically; singular values accurate to ~1e-15
 * relative to σ₁. O(rows·cols²) per sweep, typically < 10 sweeps — meant for
 * cols up to a few hundred.
 */
export function jacobiSvd(c: Float64Array, rows: number, cols: number, maxSweeps: number = DEFAULT_MAX_SWEEPS): JacobiSvd {
  assertDimensions(['rows', 'cols'], [rows, cols]);
  assertMatrix('c', c, rows, cols);
  assertInteger('maxSweeps', maxSweeps, 1, 1000);
  return jacobiSvdUnchecked(c, rows, cols, maxSweeps);
}

/** q's non-zero columns (rows × p) and the matching rows of r (p × inner): the factor is then q·r exactly. */
function compactQr(x: Float64Array, rows: number, inner: number): { q: Float64Array; r: Float64Array; p: number } {
  const { q, r, rank: p } = thinQrUnchecked(x, rows, inner);
  const qc = new Float64Array(rows * p);
  const rc = new Float64Array(p * inner);
  let row = 0;
  for (let j = 0; j < inner; j++) {
    if ((r[j * inner + j] as number) === 0) continue;
    qc.set(q.subarray(j * rows, (j + 1) * rows), row * rows);
    for (let c = 0; c < inner; c++) rc[c * p + row] = r[c * inner + j] as number;
    row++;
  }
  return { q: qc, r: rc, p };
}

/** out (rows × k) = basis (rows × p) · coeffs (p × k), all column-major, as axpys down contiguous columns. */
function multiplyBasis(basis: Float64Array, rows: number, p: number, coeffs: Float64Array, k: number): Float64Array {
  const out = new Float64Array(rows * k);
  for (let t = 0; t < k; t++) {
    for (let j = 0; j < p; j++) {
      const c = coeffs[t * p + j] as number;
      if (c === 0) continue;
      axpyAt(c, basis, j * rows, out, t * rows, rows);
    }
  }
  return out;
}

function svdOfProductUnchecked(u: Float64Array, rows: number, v: Float64Array, cols: number, inner: number, maxTriplets: number): ProductSvd {
  const qu = compactQr(u, rows, inner);
  const qv = compactQr(v, cols, inner);
  const pu = qu.p;
  const pv = qv.p;
  if (pu === 0 || pv === 0) {
    return { rows, cols, sigma: new Float64Array(0), left: new Float64Array(0), right: new Float64Array(0) };
  }
  // U·Vᵀ = Qu·(Ru·Rvᵀ)·Qvᵀ: the SVD of the pu × pv core, rotated out by Qu and Qv.
  const core = new Float64Array(pu * pv);
  for (let j = 0; j < pv; j++) {
    for (let i = 0; i < pu; i++) {
      let s = 0;
      for (let k = 0; k < inner; k++) s += (qu.r[k * pu + i] as number) * (qv.r[k * pv + j] as number);
      core[j * pu + i] = s;
    }
  }
  const svd = jacobiSvdUnchecked(core, pu, pv, DEFAULT_MAX_SWEEPS);
  const k = Math.min(svd.sigma.length, maxTriplets);
  return {
    rows,
    cols,
    sigma: svd.sigma.slice(0, k),
    left: multiplyBasis(qu.q, rows, pu, svd.u, k),
    right: multiplyBasis(qv.q, cols, pv, svd.v, k),
  };
}

/**
 * SVD of M = U·Vᵀ from thin column-major factors U (rows × inner) and V
 * (cols × inner): rank-revealing thin QRs U = Qu·Ru, V = Qv·Rv, then a Jacobi
 * SVD of the small core Ru·Rvᵀ. Returns the numerical-rank many triplets (columns
 * of U or V that depend on earlier ones are dropped; a zero product gives none),
 * or only the leading `maxTriplets` of them, which skips rotating out the rest.
 * O((rows + cols)·inner² + inner³); the rows × cols matrix is never formed.
 */
export function svdOfProduct(
  u: Float64Array,
  rows: number,
  v: Float64Array,
  cols: number,
  inner: number,
  maxTriplets: number = Number.POSITIVE_INFINITY,
): ProductSvd {
  assertDimensions(['rows', 'cols', 'inner'], [rows, cols, inner]);
  if (maxTriplets !== Number.POSITIVE_INFINITY) assertInteger('maxTriplets', maxTriplets, 1, DIMENSION_MAX);
  assertMatrix('u', u, rows, inner);
  assertMatrix('v', v, cols, inner);
  return svdOfProductUnchecked(u, rows, v, cols, inner, maxTriplets);
}
