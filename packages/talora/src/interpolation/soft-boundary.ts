import { assertFiniteNumber, MicroLoraError } from '@microlora/core';
import type { BankLayout } from '../layout.js';
import type { InterpolationStrategy, SoftBoundaryOptions } from './contract.js';

export const DEFAULT_SOFT_BOUNDARY_TEMPERATURE = 0.1;

function temperatureOf(options: SoftBoundaryOptions | undefined): number {
  const temperature = options?.temperature ?? DEFAULT_SOFT_BOUNDARY_TEMPERATURE;
  assertFiniteNumber('soft-boundary option temperature', temperature);
  if (!(temperature > 0)) {
    throw new MicroLoraError(
      'OUT_OF_RANGE',
      `soft-boundary option temperature must be > 0, got ${temperature}; small values approach 'discrete'`,
      { details: { temperature } },
    );
  }
  return temperature;
}

/**
 * Every bank weighted by exp(−|t − c_b| / T), NORMALISED to sum to 1 (the
 * reference document forgets to normalise, which scales the adapter with the
 * number of banks). Computed relative to the nearest centre, so it never
 * overflows and far banks underflow to exactly 0 (and are then not searched).
 */
export const softBoundary: InterpolationStrategy<SoftBoundaryOptions> = Object.freeze({
  name: 'soft-boundary',
  description: 'every bank weighted by exp(−|t − centre| / temperature), normalised',
  defaultK: 3,
  validateOptions(options: SoftBoundaryOptions | undefined): void {
    temperatureOf(options);
  },
  bankWeightsInto(t: number, layout: BankLayout, options: SoftBoundaryOptions | undefined, out: Float64Array): void {
    const temperature = temperatureOf(options);
    const n = layout.bankCount;
    const c = layout.centres;
    let nearest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) nearest = Math.min(nearest, Math.abs(t - (c[i] as number)));
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const w = Math.exp(-(Math.abs(t - (c[i] as number)) - nearest) / temperature);
      out[i] = w;
      sum += w;
    }
    // sum ≥ 1: the nearest bank contributes exp(0).
    for (let i = 0; i < n; i++) out[i] = (out[i] as number) / sum;
  },
});
