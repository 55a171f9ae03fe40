import { describe, expect, it } from 'vitest';
import {
  ALL_LAYERS,
  SeededRng,
  isMicroLoraError,
  jacobiSvd,
  loraFromFactors,
  loraFromProductSvd,
  loraSingularValues,
  loraSvd,
  materializeDelta,
  recompressLora,
  svdOfProduct,
  thinQr,
  zeroLora,
} from '@microlora/core';
import type { LoraWeights } from '@microlora/core';

// ---- naive float64 references (column-major unless said otherwise) -------------------------

function randomMatrix(rows: number, cols: number, seed: number): Float64Array {
  return new SeededRng(seed).fillNormal(new Float64Array(rows * cols));
}

/** x (rows × inner) · y (inner × cols), the triple loop. */
function matmul(x: Float64Array, y: Float64Array, rows: number, inner: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) for (let k = 0; k < inner; k++) out[j * rows + i]! += x[k * rows + i]! * y[j * inner + k]!;
  return out;
}

function transpose(x: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) out[i * cols + j] = x[j * rows + i]!;
  return out;
}

function frobenius(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! ** 2;
  return Math.sqrt(s);
}

function distance(x: ArrayLike<number>, y: ArrayLike<number>): number {
  return frobenius(Float64Array.from(x, (v, i) => v - y[i]!));
}

/** max |xᵀx − I| over the columns, counting a zero column as allowed (its diagonal may be 0). */
function orthogonalityError(x: Float64Array, rows: number, cols: number, allowZeroColumns = false): number {
  const gram = matmul(transpose(x, rows, cols), x, cols, rows, cols);
  let worst = 0;
  for (let j = 0; j < cols; j++) {
    for (let i = 0; i < cols; i++) {
      const g = gram[j * cols + i]!;
      const target = i === j && !(allowZeroColumns && g === 0) ? 1 : 0;
      worst = Math.max(worst, Math.abs(g - target));
    }
  }
  return worst;
}

/** u·diag(σ)·vᵀ. */
function fromTriplets(u: Float64Array, sigma: Float64Array, v: Float64Array, rows: number, cols: number): Float64Array {
  const k = sigma.length;
  const us = Float64Array.from(u, (x, i) => x * sigma[Math.floor(i / rows)]!);
  return matmul(us, transpose(v, cols, k), rows, k, cols);
}

/**
 * Dense SVD reference by the classical two-sided (symmetric) Jacobi eigenvalue method on
 * G = MᵀM (Golub & Van Loan §8.5): σ = √λ, descending. An algorithm independent of the
 * one-sided Jacobi under test; accurate to ~1e-15·σ₁²/σ for well-separated σ.
 */
function denseSingularValues(m: Float64Array, rows: number, cols: number): number[] {
  const g = matmul(transpose(m, rows, cols), m, cols, rows, cols);
  const n = cols;
  const at = (i: number, j: number): number => g[j * n + i]!;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += at(p, q) ** 2;
    if (off < 1e-30 * frobenius(g) ** 2) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        if (at(p, q) === 0) continue;
        const theta = (at(q, q) - at(p, p)) / (2 * at(p, q));
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          // G ← JᵀGJ on columns then rows.
          const gkp = at(k, p);
          const gkq = at(k, q);
          g[p * n + k] = c * gkp - s * gkq;
          g[q * n + k] = s * gkp + c * gkq;
        }
        for (let k = 0; k < n; k++) {
          const gpk = at(p, k);
          const gqk = at(q, k);
          g[k * n + p] = c * gpk - s * gqk;
          g[k * n + q] = s * gpk + c * gqk;
        }
      }
    }
  }
  return Array.from({ length: n }, (_, i) => Math.sqrt(Math.max(0, at(i, i))))
    .sort((x, y) => y - x)
    .slice(0, Math.min(rows, cols));
}

/**
 * `count` orthonormal columns: the first columns of the identity sent through a few random
 * Householder reflections I − 2wwᵀ/‖w‖² (orthogonal maps), a construction unlike Gram–Schmidt.
 */
function orthonormalColumns(rows: number, count: number, seed: number): Float64Array {
  const rng = new SeededRng(seed);
  const q = new Float64Array(rows * count);
  for (let j = 0; j < count; j++) q[j * rows + j] = 1;
  for (let reflection = 0; reflection < count + 2; reflection++) {
    const w = rng.fillNormal(new Float64Array(rows));
    const scale = 2 / frobenius(w) ** 2;
    for (let j = 0; j < count; j++) {
      const column = q.subarray(j * rows, (j + 1) * rows);
      const along = scale * column.reduce((s, x, i) => s + x * w[i]!, 0);
      column.forEach((x, i) => (column[i] = x - along * w[i]!));
    }
  }
  return q;
}

function randomLora(seed: number, rank: number, inFeatures: number, outFeatures: number, alpha = 2 * rank): LoraWeights {
  const rng = new SeededRng(seed);
  return loraFromFactors({
    rank,
    inFeatures,
    outFeatures,
    alpha,
    a: rng.fillNormal(new Float32Array(rank * inFeatures)),
    b: rng.fillNormal(new Float32Array(rank * outFeatures)),
  });
}

/** materializeDelta is row-major out × in; the dense reference SVD wants column-major. */
function deltaColumnMajor(lora: LoraWeights): Float64Array {
  return transpose(materializeDelta(lora), lora.inFeatures, lora.outFeatures);
}

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (err) {
    expect(isMicroLoraError(err) ? err.code : err).toBe(code);
    return;
  }
  expect.unreachable(`expected ${code}`);
}

// ---- thinQr -----------------------------------------------------------------------------------

describe('thinQr', () => {
  it.each([
    [768, 10],
    [37, 37],
    [5, 1],
  ])('%i × %i: q has orthonormal columns, r is upper triangular, q·r = x', (rows, cols) => {
    const x = randomMatrix(rows, cols, rows + cols);
    const { q, r, rank } = thinQr(x, rows, cols);
    expect(rank).toBe(cols);
    expect(orthogonalityError(q, rows, cols)).toBeLessThan(1e-14);
    for (let j = 0; j < cols; j++) for (let i = j + 1; i < cols; i++) expect(r[j * cols + i]).toBe(0);
    for (let j = 0; j < cols; j++) expect(r[j * cols + j]).toBeGreaterThan(0);
    expect(distance(matmul(q, r, rows, cols, cols), x) / frobenius(x)).toBeLessThan(1e-15);
  });

  it('stays orthogonal on an ill-conditioned matrix (σ from 1 to 1e-12)', () => {
    const rows = 60;
    const cols = 8;
    const sigma = Float64Array.from({ length: cols }, (_, k) => 10 ** (-12 * k / (cols - 1)));
    const x = fromTriplets(orthonormalColumns(rows, cols, 1), sigma, orthonormalColumns(cols, cols, 2), rows, cols);
    const { q, r, rank } = thinQr(x, rows, cols);
    expect(rank).toBe(cols);
    expect(orthogonalityError(q, rows, cols)).toBeLessThan(1e-14);
    expect(distance(matmul(q, r, rows, cols, cols), x) / frobenius(x)).toBeLessThan(1e-15);
  });

  it('re-orthogonalises a column nearly in the span of the earlier ones (residual 1e-9 of its norm)', () => {
    const rows = 50;
    const x = randomMatrix(rows, 3, 13);
    const noise = randomMatrix(rows, 1, 14);
    for (let i = 0; i < rows; i++) x[2 * rows + i] = x[i]! - 2 * x[rows + i]! + 1e-9 * noise[i]!;
    const { q, r, rank } = thinQr(x, rows, 3);
    expect(rank).toBe(3);
    expect(orthogonalityError(q, rows, 3)).toBeLessThan(1e-14); // one Gram–Schmidt pass leaves ~1e-7 here
    expect(distance(matmul(q, r, rows, 3, 3), x) / frobenius(x)).toBeLessThan(1e-15);
  });

  it('gives a dependent column a zero q column and reports the numerical rank; q·r = x still', () => {
    const rows = 20;
    const x = randomMatrix(rows, 4, 9);
    // column 2 = 3·col0 − col1; column 3 = 0
    for (let i = 0; i < rows; i++) {
      x[2 * rows + i] = 3 * x[i]! - x[rows + i]!;
      x[3 * rows + i] = 0;
    }
    const { q, r, rank } = thinQr(x, rows, 4);
    expect(rank).toBe(2);
    expect(q.subarray(2 * rows).every((v) => v === 0)).toBe(true);
    expect(r[2 * 4 + 2]).toBe(0);
    expect(r[3 * 4 + 3]).toBe(0);
    expect(orthogonalityError(q, rows, 4, true)).toBeLessThan(1e-14);
    expect(distance(matmul(q, r, rows, 4, 4), x) / frobenius(x)).toBeLessThan(1e-13);
  });

  it('handles more columns than rows (at most `rows` independent)', () => {
    const x = randomMatrix(3, 7, 4);
    const { q, r, rank } = thinQr(x, 3, 7);
    expect(rank).toBe(3);
    expect(distance(matmul(q, r, 3, 7, 7), x) / frobenius(x)).toBeLessThan(1e-13);
  });

  it('rejects bad input with typed errors', () => {
    expectCode(() => thinQr(new Float64Array(5), 2, 3), 'DIMENSION_MISMATCH');
    expectCode(() => thinQr(new Float64Array([1, Number.NaN]), 2, 1), 'NON_FINITE');
    expectCode(() => thinQr(new Float32Array(6) as unknown as Float64Array, 2, 3), 'INVALID_ARGUMENT');
    expectCode(() => thinQr(new Float64Array(0), 0, 3), 'OUT_OF_RANGE');
    expectCode(() => thinQr(new Float64Array(6), 2, 3.5), 'INVALID_ARGUMENT');
  });
});

// ---- jacobiSvd --------------------------------------------------------------------------------

describe('jacobiSvd', () => {
  it('finds the known singular values of [[1, 1], [0, 1]]: the golden ratio φ and 1/φ', () => {
    // column-major: columns (1, 0) and (1, 1)
    const { sigma, u, v } = jacobiSvd(new Float64Array([1, 0, 1, 1]), 2, 2);
    const phi = (1 + Math.sqrt(5)) / 2;
    expect(sigma[0]).toBeCloseTo(phi, 14);
    expect(sigma[1]).toBeCloseTo(1 / phi, 14);
    expect(distance(fromTriplets(u, sigma, v, 2, 2), [1, 0, 1, 1])).toBeLessThan(1e-15);
  });

  it('recovers a constructed spectrum exactly, with orthonormal u and v', () => {
    const rows = 12;
    const cols = 5;
    const spectrum = new Float64Array([7, 3, 3, 0.5, 1e-6]); // a repeated value and a tiny one
    const c = fromTriplets(orthonormalColumns(rows, cols, 21), spectrum, orthonormalColumns(cols, cols, 22), rows, cols);
    const { sigma, u, v } = jacobiSvd(c, rows, cols);
    sigma.forEach((s, k) => expect(Math.abs(s - spectrum[k]!)).toBeLessThan(1e-14 * 7));
    expect(orthogonalityError(u, rows, cols)).toBeLessThan(1e-9); // u of σ = 1e-6 is good to ~ε·σ₁/σ
    expect(orthogonalityError(v, cols, cols)).toBeLessThan(1e-14);
    expect(distance(fromTriplets(u, sigma, v, rows, cols), c) / frobenius(c)).toBeLessThan(1e-14);
  });

  it('matches the dense reference on random square and wide matrices', () => {
    for (const [rows, cols] of [
      [9, 9],
      [4, 10],
    ] as const) {
      const c = randomMatrix(rows, cols, 31 + cols);
      const { sigma, u, v } = jacobiSvd(c, rows, cols);
      expect(sigma.length).toBe(Math.min(rows, cols));
      const reference = denseSingularValues(c, rows, cols);
      sigma.forEach((s, k) => expect(Math.abs(s - reference[k]!) / reference[0]!).toBeLessThan(1e-13));
      for (let k = 1; k < sigma.length; k++) expect(sigma[k]).toBeLessThanOrEqual(sigma[k - 1]!);
      expect(distance(fromTriplets(u, sigma, v, rows, cols), c) / frobenius(c)).toBeLessThan(1e-14);
    }
  });

  it('converges quadratically: 9 sweeps make a random 30 × 30 fully orthogonal (7 leave ~1e-4)', () => {
    const c = randomMatrix(30, 30, 35);
    const { u } = jacobiSvd(c, 30, 30, 9); // u·uᵀ off-diagonal = the rotations not yet done
    expect(orthogonalityError(u, 30, 30)).toBeLessThan(1e-14);
    expect(orthogonalityError(jacobiSvd(c, 30, 30, 7).u, 30, 30)).toBeGreaterThan(1e-6);
  });

  it('gives σ = 0 a zero u column and a zero matrix all-zero σ', () => {
    const { sigma, u } = jacobiSvd(new Float64Array(6), 3, 2);
    expect([...sigma]).toStrictEqual([0, 0]);
    expect(u.every((x) => x === 0)).toBe(true);
  });

  it('validates its input', () => {
    expectCode(() => jacobiSvd(new Float64Array(3), 2, 2), 'DIMENSION_MISMATCH');
    expectCode(() => jacobiSvd(new Float64Array([1, 2, Number.POSITIVE_INFINITY, 4]), 2, 2), 'NON_FINITE');
    expectCode(() => jacobiSvd(new Float64Array(4), 2, 2, 0), 'OUT_OF_RANGE');
  });
});

// ---- svdOfProduct -----------------------------------------------------------------------------

describe('svdOfProduct', () => {
  it('equals the dense SVD of U·Vᵀ without forming it', () => {
    const [rows, cols, inner] = [30, 22, 6];
    const u = randomMatrix(rows, inner, 41);
    const v = randomMatrix(cols, inner, 42);
    const svd = svdOfProduct(u, rows, v, cols, inner);
    const dense = matmul(u, transpose(v, cols, inner), rows, inner, cols);
    const reference = denseSingularValues(dense, rows, cols);
    expect(svd.sigma.length).toBe(inner);
    svd.sigma.forEach((s, k) => expect(Math.abs(s - reference[k]!) / reference[0]!).toBeLessThan(1e-13));
    expect(orthogonalityError(svd.left, rows, inner)).toBeLessThan(1e-14);
    expect(orthogonalityError(svd.right, cols, inner)).toBeLessThan(1e-14);
    expect(distance(fromTriplets(svd.left, svd.sigma, svd.right, rows, cols), dense) / frobenius(dense)).toBeLessThan(1e-14);
  });

  it('returns the numerical rank many triplets: duplicated factor columns collapse, a zero product has none', () => {
    const [rows, cols] = [15, 11];
    const u = randomMatrix(rows, 4, 51);
    const v = randomMatrix(cols, 4, 52);
    u.copyWithin(2 * rows, 0, 2 * rows); // U = [u₀ u₁ u₀ u₁]
    v.copyWithin(2 * cols, 0, 2 * cols);
    const svd = svdOfProduct(u, rows, v, cols, 4);
    expect(svd.sigma.length).toBe(2);
    const dense = matmul(u, transpose(v, cols, 4), rows, 4, cols);
    expect(distance(fromTriplets(svd.left, svd.sigma, svd.right, rows, cols), dense) / frobenius(dense)).toBeLessThan(1e-14);
    expect(svdOfProduct(new Float64Array(rows * 3), rows, randomMatrix(cols, 3, 1), cols, 3).sigma.length).toBe(0);
  });

  it('with maxTriplets returns just the leading triplets of the full SVD', () => {
    const [rows, cols, inner] = [18, 13, 7];
    const u = randomMatrix(rows, inner, 45);
    const v = randomMatrix(cols, inner, 46);
    const full = svdOfProduct(u, rows, v, cols, inner);
    const top = svdOfProduct(u, rows, v, cols, inner, 3);
    expect([...top.sigma]).toStrictEqual([...full.sigma.subarray(0, 3)]);
    expect([...top.left]).toStrictEqual([...full.left.subarray(0, 3 * rows)]);
    expect([...top.right]).toStrictEqual([...full.right.subarray(0, 3 * cols)]);
    expect(svdOfProduct(u, rows, v, cols, inner, 100).sigma.length).toBe(inner);
    expectCode(() => svdOfProduct(u, rows, v, cols, inner, 0), 'OUT_OF_RANGE');
  });

  it('validates both factors', () => {
    expectCode(() => svdOfProduct(new Float64Array(6), 3, new Float64Array(5), 3, 2), 'DIMENSION_MISMATCH');
    expectCode(() => svdOfProduct(new Float64Array(6), 3, new Float64Array(6).fill(Number.NaN), 3, 2), 'NON_FINITE');
    expectCode(() => svdOfProduct(new Float64Array(6), 3, new Float64Array(6), 3, 0), 'OUT_OF_RANGE');
  });
});

// ---- LoRA re-compression ----------------------------------------------------------------------

describe('recompressLora', () => {
  /** A rank-`rank` adapter stacked from `parts` random rank-2 pieces: true rank = min(2·parts, in, out). */
  function stacked(parts: number, inFeatures: number, outFeatures: number): LoraWeights {
    const pieces = Array.from({ length: parts }, (_, i) => randomLora(100 + i, 2, inFeatures, outFeatures));
    const rank = 2 * parts;
    const a = new Float32Array(rank * inFeatures);
    const b = new Float32Array(rank * outFeatures);
    pieces.forEach((p, i) => {
      a.set(p.a.map((x) => x * p.scaling), 2 * i * inFeatures);
      b.set(p.b, 2 * i * outFeatures);
    });
    return loraFromFactors({ rank, inFeatures, outFeatures, alpha: rank, a, b, layerMask: 0b1011n });
  }

  it('is exact when targetRank ≥ the true rank, with rank min(targetRank, rank, in, out), alpha = rank', () => {
    const lora = stacked(4, 40, 30); // rank 8
    const reference = materializeDelta(lora);
    for (const target of [8, 9, 64]) {
      const r = recompressLora(lora, target);
      expect(r.rank).toBe(8);
      expect(r.alpha).toBe(8);
      expect(r.scaling).toBe(1);
      expect(r.layerMask).toBe(0b1011n);
      expect(distance(materializeDelta(r), reference) / frobenius(reference)).toBeLessThan(1e-6);
    }
  });

  it('recovers the true rank of a redundant stack: two copies of a rank-2 adapter → rank 2 exactly', () => {
    const base = randomLora(7, 2, 33, 21);
    const twice = loraFromFactors({ ...base, rank: 4, alpha: 4, a: new Float32Array([...base.a, ...base.a]), b: new Float32Array([...base.b, ...base.b].map((x) => x * base.scaling)) });
    expect(loraSvd(twice).sigma.length).toBe(2); // exact float32 copies are dependent columns
    const sigma = loraSingularValues(twice);
    expect(sigma.length).toBe(4);
    expect([sigma[2], sigma[3]]).toStrictEqual([0, 0]);
    const r = recompressLora(twice, 2);
    const reference = materializeDelta(twice);
    expect(distance(materializeDelta(r), reference) / frobenius(reference)).toBeLessThan(1e-6);
  });

  it('is optimal below the true rank (Eckart–Young), checked against the dense SVD of a small random ΔW', () => {
    const lora = randomLora(61, 9, 14, 11, 5); // a full-rank-9 random ΔW, 11 × 14
    const dense = deltaColumnMajor(lora);
    const reference = denseSingularValues(dense, 11, 14);
    const fromFactors = loraSingularValues(lora);
    fromFactors.forEach((s, k) => expect(Math.abs(s - reference[k]!) / reference[0]!).toBeLessThan(1e-12));
    const rng = new SeededRng(62);
    for (const t of [1, 3, 6]) {
      const r = recompressLora(lora, t);
      expect(r.rank).toBe(t);
      const error = distance(materializeDelta(r), materializeDelta(lora));
      const optimal = Math.sqrt(reference.slice(t).reduce((s, x) => s + x * x, 0));
      expect(Math.abs(error - optimal) / optimal).toBeLessThan(1e-6);
      // Any other rank-t approximation does worse: e.g. ΔW projected onto t random output directions.
      const basis = orthonormalColumns(11, t, rng.int(1 << 30));
      const projected = matmul(basis, matmul(transpose(basis, 11, t), dense, t, 11, 14), 11, t, 14);
      expect(error).toBeLessThan(distance(projected, dense));
    }
  });

  it('balances the factors: ‖A row k‖ = ‖B column k‖ = √σₖ', () => {
    const lora = randomLora(71, 5, 20, 16);
    const sigma = loraSingularValues(lora);
    const r = recompressLora(lora, 3);
    for (let k = 0; k < 3; k++) {
      expect(frobenius(r.a.subarray(k * 20, (k + 1) * 20))).toBeCloseTo(Math.sqrt(sigma[k]!), 5);
      expect(frobenius(r.b.subarray(k * 16, (k + 1) * 16))).toBeCloseTo(Math.sqrt(sigma[k]!), 5);
    }
  });

  it('handles wide stacks (rank > in) and the zero adapter', () => {
    const wide = randomLora(3, 6, 3, 5);
    const r = recompressLora(wide, 6);
    expect(r.rank).toBe(3);
    const reference = materializeDelta(wide);
    expect(distance(materializeDelta(r), reference) / frobenius(reference)).toBeLessThan(1e-6);
    const zero = recompressLora(zeroLora({ rank: 3, inFeatures: 8, outFeatures: 4 }), 2);
    expect(zero.rank).toBe(2);
    expect(zero.layerMask).toBe(ALL_LAYERS);
    expect(materializeDelta(zero).every((v) => v === 0)).toBe(true);
    expect([...loraSingularValues(zeroLora({ rank: 3, inFeatures: 8, outFeatures: 4 }))]).toStrictEqual([0, 0, 0]);
  });

  it('validates targetRank and the adapter', () => {
    const lora = randomLora(81, 2, 6, 5);
    for (const bad of [0, 1.5, -1, 1025]) expectCode(() => recompressLora(lora, bad), 'RANK_OUT_OF_RANGE');
    const poisoned = { ...lora, a: lora.a.slice() };
    poisoned.a[3] = Number.NaN;
    expectCode(() => recompressLora(poisoned, 1), 'NON_FINITE');
    expectCode(() => recompressLora({ ...lora, scaling: Number.POSITIVE_INFINITY }, 1), 'NON_FINITE');
    expectCode(() => recompressLora({ ...lora, b: lora.b.subarray(1) }, 1), 'DIMENSION_MISMATCH');
  });
});

describe('loraFromProductSvd', () => {
  it('keeps the top triplets, pads with zero rows, and validates the SVD', () => {
    const svd = svdOfProduct(randomMatrix(6, 2, 91), 6, randomMatrix(4, 2, 92), 4, 2);
    const lora = loraFromProductSvd(svd, 3, 5n);
    expect([lora.rank, lora.outFeatures, lora.inFeatures, lora.alpha, lora.layerMask]).toStrictEqual([3, 6, 4, 3, 5n]);
    expect(lora.a.subarray(2 * 4).every((x) => x === 0)).toBe(true);
    const dense = fromTriplets(svd.left, svd.sigma, svd.right, 6, 4);
    expect(distance(deltaColumnMajor(lora), dense) / frobenius(dense)).toBeLessThan(1e-6);
    expectCode(() => loraFromProductSvd({ ...svd, left: svd.left.subarray(1) }, 2), 'DIMENSION_MISMATCH');
    expectCode(() => loraFromProductSvd(svd, 0), 'RANK_OUT_OF_RANGE');
  });
});
