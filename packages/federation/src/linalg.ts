/**
 * Small dense float64 linear algebra for rank truncation. Matrices are
 * column-major: column j of an m-row matrix is [j*m, (j+1)*m).
 */

/** Thin QR by modified Gram–Schmidt with one re-orthogonalisation pass. Dependent columns get a zero Q column. */
export function thinQr(x: Float64Array, m: number, p: number): { q: Float64Array; r: Float64Array } {
  const q = x.slice();
  const r = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    const cj = j * m;
    let original = 0;
    for (let i = 0; i < m; i++) original += (q[cj + i] as number) ** 2;
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        const ck = k * m;
        let dot = 0;
        for (let i = 0; i < m; i++) dot += (q[ck + i] as number) * (q[cj + i] as number);
        if (dot === 0) continue;
        r[j * p + k] = (r[j * p + k] as number) + dot;
        for (let i = 0; i < m; i++) q[cj + i] = (q[cj + i] as number) - dot * (q[ck + i] as number);
      }
    }
    let norm2 = 0;
    for (let i = 0; i < m; i++) norm2 += (q[cj + i] as number) ** 2;
    const norm = Math.sqrt(norm2);
    // What is left of a dependent column is rounding noise: drop it rather than normalise noise.
    if (norm <= 1e-13 * Math.sqrt(original) || norm === 0) {
      q.fill(0, cj, cj + m);
      continue;
    }
    r[j * p + j] = norm;
    for (let i = 0; i < m; i++) q[cj + i] = (q[cj + i] as number) / norm;
  }
  return { q, r };
}

/**
 * One-sided (Hestenes) Jacobi SVD of a rows × cols matrix c: returns w = c·V
 * (column j is σⱼuⱼ), V (cols × cols, orthogonal) and σ. Accurate to ~1e-15 relative.
 */
export function jacobiSvd(
  c: Float64Array,
  rows: number,
  cols: number,
  maxSweeps = 60,
): { w: Float64Array; v: Float64Array; sigma: Float64Array } {
  const w = c.slice();
  const v = new Float64Array(cols * cols);
  for (let j = 0; j < cols; j++) v[j * cols + j] = 1;
  const rotate = (x: Float64Array, len: number, p: number, q: number, cs: number, sn: number): void => {
    for (let i = 0; i < len; i++) {
      const xp = x[p * len + i] as number;
      const xq = x[q * len + i] as number;
      x[p * len + i] = cs * xp - sn * xq;
      x[q * len + i] = sn * xp + cs * xq;
    }
  };
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let rotated = false;
    for (let p = 0; p < cols - 1; p++) {
      for (let q = p + 1; q < cols; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < rows; i++) {
          const wp = w[p * rows + i] as number;
          const wq = w[q * rows + i] as number;
          alpha += wp * wp;
          beta += wq * wq;
          gamma += wp * wq;
        }
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const cs = 1 / Math.sqrt(1 + t * t);
        const sn = cs * t;
        rotate(w, rows, p, q, cs, sn);
        rotate(v, cols, p, q, cs, sn);
      }
    }
    if (!rotated) break;
  }
  const sigma = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    let s = 0;
    for (let i = 0; i < rows; i++) s += (w[j * rows + i] as number) ** 2;
    sigma[j] = Math.sqrt(s);
  }
  return { w, v, sigma };
}

/** Singular triplets of M = U·Vᵀ (U m × ℓ, V n × ℓ), sorted by descending σ; k ≤ min(ℓ, m, n) of them. */
export interface ProductSvd {
  /** k values. */
  sigma: Float64Array;
  /** m × k, unit columns (zero where σ = 0). */
  left: Float64Array;
  /** n × k, unit columns. */
  right: Float64Array;
}

/** Q's non-zero columns (m × p') and the matching rows of R (p' × ℓ), both column-major. */
function compactQr(x: Float64Array, m: number, l: number): { q: Float64Array; r: Float64Array; p: number } {
  const { q, r } = thinQr(x, m, l);
  const keep: number[] = [];
  for (let j = 0; j < l; j++) if ((r[j * l + j] as number) !== 0) keep.push(j);
  const p = keep.length;
  const qc = new Float64Array(m * p);
  const rc = new Float64Array(p * l);
  keep.forEach((j, row) => {
    qc.set(q.subarray(j * m, (j + 1) * m), row * m);
    for (let c = 0; c < l; c++) rc[c * p + row] = r[c * l + j] as number;
  });
  return { q: qc, r: rc, p };
}

/**
 * SVD of a product of thin factors: U = Qu·Ru, V = Qv·Rv (rank-revealing), then
 * a Jacobi SVD of the small core Ru·Rvᵀ. O((m + n)ℓ² + min(ℓ, m, n)³); no m × n matrix.
 */
export function svdOfProduct(u: Float64Array, m: number, v: Float64Array, n: number, l: number): ProductSvd {
  const qu = compactQr(u, m, l);
  const qv = compactQr(v, n, l);
  const pu = qu.p;
  const pv = qv.p;
  // core = Ru·Rvᵀ (pu × pv, column-major).
  const core = new Float64Array(pu * pv);
  for (let j = 0; j < pv; j++) {
    for (let i = 0; i < pu; i++) {
      let s = 0;
      for (let k = 0; k < l; k++) s += (qu.r[k * pu + i] as number) * (qv.r[k * pv + j] as number);
      core[j * pu + i] = s;
    }
  }
  const { w, v: vc, sigma } = jacobiSvd(core, pu, pv);
  const order = Array.from({ length: pv }, (_, j) => j).sort((x, y) => (sigma[y] as number) - (sigma[x] as number));
  const count = Math.min(pu, pv);
  const left = new Float64Array(m * count);
  const right = new Float64Array(n * count);
  const sorted = new Float64Array(count);
  for (let rank = 0; rank < count; rank++) {
    const j = order[rank] as number;
    const s = sigma[j] as number;
    sorted[rank] = s;
    if (s === 0) continue;
    // left = Qu·(w_j/σ_j), right = Qv·v_j.
    for (let k = 0; k < pu; k++) {
      const c = (w[j * pu + k] as number) / s;
      for (let i = 0; i < m; i++) left[rank * m + i] = (left[rank * m + i] as number) + c * (qu.q[k * m + i] as number);
    }
    for (let k = 0; k < pv; k++) {
      const c = vc[j * pv + k] as number;
      for (let i = 0; i < n; i++) right[rank * n + i] = (right[rank * n + i] as number) + c * (qv.q[k * n + i] as number);
    }
  }
  return { sigma: sorted, left, right };
}
