/** ‖BA‖²_F = Σ_{r,q} (a_r·a_q)(b_r·b_q) for rank-major factors, in float64, in O(rank²·(in + out)). */
export function productFrobeniusSquared(a: Float32Array, b: Float32Array, rank: number, n: number, m: number): number {
  let total = 0;
  for (let r = 0; r < rank; r++) {
    for (let q = r; q < rank; q++) {
      let ga = 0;
      for (let i = 0; i < n; i++) ga += (a[r * n + i] as number) * (a[q * n + i] as number);
      let gb = 0;
      for (let o = 0; o < m; o++) gb += (b[r * m + o] as number) * (b[q * m + o] as number);
      total += (r === q ? 1 : 2) * ga * gb;
    }
  }
  return total;
}
