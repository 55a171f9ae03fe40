import { bankIndexAt, type BankLayout } from '../layout.js';
import type { DiscreteOptions, InterpolationStrategy } from './contract.js';

/**
 * Weight 1 for the bank holding t (boundaries[i] ≤ t < boundaries[i + 1]; a t on
 * an inner boundary goes to the upper bank, t = 1 to the last), 0 elsewhere.
 */
export const discrete: InterpolationStrategy<DiscreteOptions> = Object.freeze({
  name: 'discrete',
  description: 'the bank holding t only (a t on an inner boundary belongs to the bank that starts there)',
  defaultK: 5,
  bankWeightsInto(t: number, layout: BankLayout, _options: DiscreteOptions | undefined, out: Float64Array): void {
    out.fill(0, 0, layout.bankCount);
    out[bankIndexAt(layout, t)] = 1;
  },
});
