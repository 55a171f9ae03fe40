import type { BankLayout } from '../layout.js';
import type { InterpolationStrategy, LinearOptions } from './contract.js';

/**
 * Between the two nearest bank centres c_j ≤ t < c_{j+1}: β_j = 1 − α and
 * β_{j+1} = α with α = (t − c_j) / (c_{j+1} − c_j). Clamped outside the outer
 * centres (t ≤ c_0 → bank 0 only; t ≥ the last centre → the last bank only).
 * The composite is exactly (1 − α)·ΔW_j + α·ΔW_{j+1} (rank stacking, not a lerp of factors).
 */
export const linear: InterpolationStrategy<LinearOptions> = Object.freeze({
  name: 'linear',
  description: 'the two nearest bank centres, (1 − α)·ΔW_a + α·ΔW_b, clamped outside the outer centres',
  defaultK: 3,
  bankWeightsInto(t: number, layout: BankLayout, _options: LinearOptions | undefined, out: Float64Array): void {
    const n = layout.bankCount;
    const c = layout.centres;
    out.fill(0, 0, n);
    if (t <= (c[0] as number)) {
      out[0] = 1;
      return;
    }
    if (t >= (c[n - 1] as number)) {
      out[n - 1] = 1;
      return;
    }
    // Largest j with c_j ≤ t; here c_0 < t < c_{n−1}, so 0 ≤ j ≤ n − 2.
    let lo = 0;
    let hi = n - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((c[mid] as number) <= t) lo = mid;
      else hi = mid - 1;
    }
    const left = c[lo] as number;
    const alpha = (t - left) / ((c[lo + 1] as number) - left);
    out[lo] = 1 - alpha;
    out[lo + 1] = alpha;
  },
});
