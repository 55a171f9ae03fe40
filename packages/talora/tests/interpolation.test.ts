import { describe, expect, it } from 'vitest';
import {
  createBankLayout,
  discrete,
  getInterpolation,
  linear,
  listInterpolations,
  registerInterpolation,
  softBoundary,
  unregisterInterpolation,
  type BankLayout,
  type InterpolationStrategy,
} from '@microlora/talora';
import { syncErrorCode } from './helpers.js';

const layout = createBankLayout([0, 1 / 3, 2 / 3, 1]);

function weights(strategy: InterpolationStrategy, t: number, options?: object, l: BankLayout = layout): number[] {
  const out = new Float64Array(l.bankCount + 2).fill(99); // stale values beyond must not matter
  strategy.bankWeightsInto(t, l, options, out);
  return Array.from(out.subarray(0, l.bankCount));
}

describe('discrete', () => {
  it.each([
    [0, [1, 0, 0]],
    [0.2, [1, 0, 0]],
    [1 / 3, [0, 1, 0]],
    [0.9, [0, 0, 1]],
    [1, [0, 0, 1]],
  ])('t = %f', (t, expected) => {
    expect(weights(discrete, t)).toEqual(expected);
  });
  it('uses k = 5 by default', () => expect(discrete.defaultK).toBe(5));
});

describe('linear', () => {
  it('interpolates between the two nearest centres', () => {
    // centres 1/6, 1/2, 5/6: t = 1/3 is halfway between the first two.
    const w = weights(linear, 1 / 3);
    expect(w[0]).toBeCloseTo(0.5, 12);
    expect(w[1]).toBeCloseTo(0.5, 12);
    expect(w[2]).toBe(0);
    const w2 = weights(linear, 0.75); // α = (0.75 − 0.5) / (1/3) = 0.75
    expect(w2[0]).toBe(0);
    expect(w2[1]).toBeCloseTo(0.25, 12);
    expect(w2[2]).toBeCloseTo(0.75, 12);
  });

  it('clamps outside the outer centres', () => {
    expect(weights(linear, 0)).toEqual([1, 0, 0]);
    expect(weights(linear, 0.1)).toEqual([1, 0, 0]);
    expect(weights(linear, 0.95)).toEqual([0, 0, 1]);
    expect(weights(linear, 1)).toEqual([0, 0, 1]);
  });

  it('gives the whole weight to a bank at its centre', () => {
    expect(weights(linear, 0.5)).toEqual([0, 1, 0]);
  });

  it('works with a single bank and uneven banks', () => {
    expect(weights(linear, 0.3, undefined, createBankLayout([0, 1]))).toEqual([1]);
    const uneven = createBankLayout([0, 0.1, 0.2, 1]); // centres 0.05, 0.15, 0.6
    const w = weights(linear, 0.4, undefined, uneven); // α = (0.4 − 0.15) / 0.45
    expect(w[1]).toBeCloseTo(1 - 0.25 / 0.45, 12);
    expect(w[2]).toBeCloseTo(0.25 / 0.45, 12);
  });
});

describe('soft-boundary', () => {
  it('weights every bank by exp(−|t − c| / T), normalised', () => {
    const t = 0.4;
    const T = 0.2;
    const raw = layout.centres.map((c) => Math.exp(-Math.abs(t - c) / T));
    const sum = raw.reduce((a, b) => a + b, 0);
    const w = weights(softBoundary, t, { temperature: T });
    w.forEach((x, i) => expect(x).toBeCloseTo((raw[i] as number) / sum, 14));
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
  });

  it('sums to 1 at every t (the reference forgot to normalise)', () => {
    for (let t = 0; t <= 1; t += 0.05) {
      const sum = weights(softBoundary, t).reduce((a, b) => a + b, 0);
      expect(Math.abs(sum - 1)).toBeLessThan(1e-14);
    }
  });

  it('splits evenly on a boundary between two banks', () => {
    const w = weights(softBoundary, 1 / 3, { temperature: 0.05 });
    expect(w[0]).toBeCloseTo(w[1] as number, 12);
    expect(w[2]).toBeLessThan(1e-2);
  });

  it('does not overflow for a tiny temperature: far banks get exactly 0', () => {
    const w = weights(softBoundary, 0.1, { temperature: 1e-6 });
    expect(w).toEqual([1, 0, 0]);
  });

  it.each([
    [0, 'OUT_OF_RANGE'],
    [-1, 'OUT_OF_RANGE'],
    [Number.NaN, 'NON_FINITE'],
    ['0.1', 'INVALID_ARGUMENT'],
  ])('rejects temperature %s', (temperature, code) => {
    expect(syncErrorCode(() => softBoundary.validateOptions?.({ temperature } as never))).toBe(code);
  });
});

describe('registry', () => {
  it('starts with the three built-ins', () => {
    expect(listInterpolations()).toEqual(expect.arrayContaining(['discrete', 'linear', 'soft-boundary']));
    expect(getInterpolation('soft-boundary')).toBe(softBoundary);
  });

  it('registers a third-party strategy, ignores the same object twice, refuses another under the name', () => {
    const last: InterpolationStrategy = {
      name: 'test-last-bank',
      defaultK: 2,
      bankWeightsInto(_t, l, _o, out) {
        out.fill(0, 0, l.bankCount);
        out[l.bankCount - 1] = 1;
      },
    };
    registerInterpolation(last);
    registerInterpolation(last);
    expect(getInterpolation('test-last-bank')).toBe(last);
    expect(syncErrorCode(() => registerInterpolation({ ...last }))).toBe('NAME_COLLISION');
    expect(unregisterInterpolation('test-last-bank')).toBe(true);
  });

  it('NOT_FOUND for an unknown name; INVALID_ARGUMENT for malformed strategies', () => {
    expect(syncErrorCode(() => getInterpolation('nope'))).toBe('NOT_FOUND');
    expect(syncErrorCode(() => registerInterpolation({ name: '', defaultK: 1, bankWeightsInto() {} }))).toBe('INVALID_ARGUMENT');
    expect(syncErrorCode(() => registerInterpolation({ name: 'x', defaultK: 0, bankWeightsInto() {} }))).toBe('INVALID_ARGUMENT');
    expect(syncErrorCode(() => registerInterpolation({ name: 'x', defaultK: 1 } as never))).toBe('INVALID_ARGUMENT');
  });
});
