import { describe, expect, it } from 'vitest';
import { DEFAULT_BOUNDARIES, bankIndexAt, banksForRange, createBankLayout } from '@microlora/talora';
import { syncErrorCode } from './helpers.js';

describe('createBankLayout', () => {
  it('accepts the default three equal ranges and computes centres', () => {
    const layout = createBankLayout(DEFAULT_BOUNDARIES);
    expect(layout.bankCount).toBe(3);
    expect(layout.centres[0]).toBeCloseTo(1 / 6, 15);
    expect(layout.centres[1]).toBeCloseTo(0.5, 15);
    expect(layout.centres[2]).toBeCloseTo(5 / 6, 15);
    expect(Object.isFrozen(layout.boundaries)).toBe(true);
  });

  it('accepts a single bank [0, 1]', () => {
    expect(createBankLayout([0, 1]).bankCount).toBe(1);
  });

  it.each([
    ['not an array', 'x', 'INVALID_ARGUMENT'],
    ['one entry', [0], 'INVALID_ARGUMENT'],
    ['a string entry', [0, '0.5', 1], 'INVALID_ARGUMENT'],
    ['NaN', [0, Number.NaN, 1], 'NON_FINITE'],
    ['Infinity', [0, Number.POSITIVE_INFINITY], 'NON_FINITE'],
    ['unsorted', [0, 0.6, 0.3, 1], 'INVALID_ARGUMENT'],
    ['a duplicate (empty bank)', [0, 0.5, 0.5, 1], 'INVALID_ARGUMENT'],
    ['start above 0', [0.1, 0.5, 1], 'OUT_OF_RANGE'],
    ['end below 1', [0, 0.5, 0.9], 'OUT_OF_RANGE'],
    ['end above 1', [0, 0.5, 2], 'OUT_OF_RANGE'],
  ])('rejects %s', (_name, boundaries, code) => {
    expect(syncErrorCode(() => createBankLayout(boundaries))).toBe(code);
  });
});

describe('bankIndexAt', () => {
  const layout = createBankLayout([0, 0.25, 0.5, 1]);
  it.each([
    [0, 0],
    [0.1, 0],
    [0.25, 1], // an inner boundary belongs to the bank that starts there
    [0.4999, 1],
    [0.5, 2],
    [0.99, 2],
    [1, 2], // t = 1 belongs to the last bank
  ])('t = %f → bank %i', (t, bank) => {
    expect(bankIndexAt(layout, t)).toBe(bank);
  });
});

describe('banksForRange', () => {
  const layout = createBankLayout(DEFAULT_BOUNDARIES);
  it.each([
    ['exactly bank 0', [0, 1 / 3], [0]],
    ['exactly bank 1', [1 / 3, 2 / 3], [1]],
    ['inside bank 2', [0.7, 0.9], [2]],
    ['spanning banks 0 and 1', [0.2, 0.5], [0, 1]],
    ['everything', [0, 1], [0, 1, 2]],
    ['a point inside bank 1', [0.5, 0.5], [1]],
    ['a point on an inner boundary', [1 / 3, 1 / 3], [1]],
    ['the point 1', [1, 1], [2]],
  ])('%s', (_name, range, banks) => {
    expect(banksForRange(layout, range)).toEqual(banks);
  });

  it.each([
    [[0.5, 0.2], 'OUT_OF_RANGE'],
    [[-0.1, 0.2], 'OUT_OF_RANGE'],
    [[0, Number.NaN], 'NON_FINITE'],
    [[0.1], 'INVALID_ARGUMENT'],
  ])('rejects %j with %s', (range, code) => {
    expect(syncErrorCode(() => banksForRange(layout, range))).toBe(code);
  });
});
