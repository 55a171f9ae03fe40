/**
 * Small dense float64 linear algebra for re-compression. Matrices are
 * column-major Float64Arrays (column j of an m-row matrix at [j*m, (j+1)*m)).
 */

/** Thin QR of an m × n matrix: Q is m × p with orthonormal columns, R is p × n upper-trapezoidal (column-major), p = min(m, n). */
export interface ThinQr {
  rows: number;
  p: number;
  q: Float64Array;
  r: Float64Array;
}

/** Householder thin QR; stable for rank-deficient input (R then has zeros on its diagonal). */
export function householderQr(x: Float64Array, m: number, n: number): ThinQr {
  const work = x.slice();
  const p = Math.min(m, n);
  const reflectors = new Float64Array(p * m); // v_j, zero above row j
  const active = new Uint8Array(p);
  for (let j = 0; j < p; j++) {
    const col = j * m;
    let norm2 = 0;
    for (let i = j; i < m; i++) norm2 += (work[col + i] as number) ** 2;
    if (norm2 === 0) continue;
    const head = work[col + j] as number;
    const alpha = head >= 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
    const v = j * m;
    for (let i = j; i < m; i++) reflectors[v + i] = work[col + i] as number;
    reflectors[v + j] = head - alpha;
    let vv = 0;
    for (let i = j; i < m; i++) vv += (reflectors[v + i] as number) ** 2;
    if (vv === 0) continue;
    active[j] = 1;
    const scale = 2 / vv;
    for (let c = j; c < n; c++) {
      const cc = c * m;
      let dot = 0;
      for (let i = j; i < m; i++) dot += (reflectors[v + i] as number) * (work[cc + i] as number);
      const f = dot * scale;
      for (let i = j; i < m; i++) work[cc + i] = (work[cc + i] as number) - f * (reflectors[v + i] as number);
    }
  }
  const r = new Float64Array(p * n);
  for (let c = 0; c < n; c++) for (let i = 0; i <= Math.min(c, p - 1); i++) r[c * p + i] = work[c * m + i] as number;
  // Q = H₀H₁…H_{p−1}·[I_p; 0], applying the reflectors in reverse order.
  const q = new Float64Array(m * p);
  for (let j = 0; j < p; j++) q[j * m + j] = 1;
  for (let j = p - 1; j >= 0; j--) {
    if (!active[j]) continue;
    const v = j * m;
    let vv = 0;
    for (let i = j; i < m; i++) vv += (reflectors[v + i] as number) ** 2;
    const scale = 2 / vv;
    for (let c = 0; c < p; c++) {
      const cc = c * m;
      let dot = 0;
      for (let i = j; i < m; i++) dot += (reflectors[v + i] as number) * (q[cc + i] as number);
      const f = dot * scale;
      if (f === 0) continue;
      for (let i = j; i < m; i++) q[cc + i] = (q[cc + i] as number) - f * (reflectors[v + i] as number);
    }
  }
  return { rows: m, p, q, r };
}

/** One-sided Jacobi SVD: columns of `w` = C·V are mutually orthogonal; σⱼ = ‖wⱼ‖, sorted descending in `order`. */
export interface JacobiSvd {
  /** C·V, m × n column-major: column j is σⱼ·uⱼ. */
  w: Float64Array;
  /** n × n orthogonal, column-major. */
  v: Float64Array;
  sigma: Float64Array;
  /** Column indices by descending σ. */
  order: Int32Array;
}

/** Hestenes one-sided Jacobi on an m × n matrix (n small); converges quadratically, accurate to ~1e-15 relative. */
export function jacobiSvd(c: Float64Array, m: number, n: number, maxSweeps = 60): JacobiSvd {
  const w = c.slice();
  const v = new Float64Array(n * n);
  for (let j = 0; j < n; j++) v[j * n + j] = 1;
  const eps = 1e-15;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let rotated = false;
    for (let i = 0; i < n - 1; i++) {
      for (let j = i + 1; j < n; j++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let r = 0; r < m; r++) {
          const x = w[i * m + r] as number;
          const y = w[j * m + r] as number;
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const cos = 1 / Math.sqrt(1 + t * t);
        const sin = cos * t;
        for (let r = 0; r < m; r++) {
          const x = w[i * m + r] as number;
          const y = w[j * m + r] as number;
          w[i * m + r] = cos * x - sin * y;
          w[j * m + r] = sin * x + cos * y;
        }
        for (let r = 0; r < n; r++) {
          const x = v[i * n + r] as number;
          const y = v[j * n + r] as number;
          v[i * n + r] = cos * x - sin * y;
          v[j * n + r] = sin * x + cos * y;
        }
      }
    }
    if (!rotated) break;
  }
  const sigma = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let r = 0; r < m; r++) s += (w[j * m + r] as number) ** 2;
    sigma[j] = Math.sqrt(s);
  }
  const order = Int32Array.from({ length: n }, (_, j) => j).sort((x, y) => (sigma[y] as number) - (sigma[x] as number) || x - y);
  return { w, v, sigma, order };
}
