/**
 * The k-th smallest (0-based) of values[0..n), by in-place quickselect on `work` (a scratch
 * array of length ≥ n, overwritten). Expected O(n).
 */
export function kthSmallest(values: Float64Array, n: number, k: number, work: Float64Array): number {
  work.set(values.subarray(0, n));
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    // Median of three as the pivot keeps sorted inputs linear.
    const mid = (lo + hi) >> 1;
    const a = work[lo] as number;
    const b = work[mid] as number;
    const c = work[hi] as number;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((work[i] as number) < pivot) i++;
      while ((work[j] as number) > pivot) j--;
      if (i <= j) {
        const t = work[i] as number;
        work[i] = work[j] as number;
        work[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return work[k] as number;
  }
  return work[k] as number;
}
