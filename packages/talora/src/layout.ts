import { MicroLoraError, assertTimestep, assertTimestepRange, type TimestepRange } from '@microlora/core';

/** The spec's three equal ranges. */
export const DEFAULT_BOUNDARIES: readonly number[] = Object.freeze([0, 1 / 3, 2 / 3, 1]);

/** Most banks one manager may have (guards allocations driven by options and loaded files). */
export const MAX_BANKS = 1024;

/**
 * Where the banks sit on the timestep axis [0, 1]. Bank i covers
 * [boundaries[i], boundaries[i + 1]); the last bank also holds t = 1.
 */
export interface BankLayout {
  /** Strictly increasing, first 0, last 1. */
  readonly boundaries: readonly number[];
  /** centres[i] = (boundaries[i] + boundaries[i + 1]) / 2. */
  readonly centres: readonly number[];
  readonly bankCount: number;
}

function show(value: unknown): string {
  return typeof value === 'number' ? String(value) : Object.prototype.toString.call(value);
}

/**
 * Validates timestep boundaries: an array of ≥ 2 finite numbers, strictly
 * increasing, starting at 0 and ending at 1. Returns a frozen layout.
 */
export function createBankLayout(boundaries: unknown): BankLayout {
  if (!Array.isArray(boundaries)) {
    throw new MicroLoraError(
      'INVALID_ARGUMENT',
      `boundaries must be an array such as [0, 1/3, 2/3, 1], got ${show(boundaries)}`,
    );
  }
  if (boundaries.length < 2 || boundaries.length > MAX_BANKS + 1) {
    throw new MicroLoraError(
      'INVALID_ARGUMENT',
      `boundaries needs between 2 and ${MAX_BANKS + 1} entries (one bank per gap), got ${boundaries.length}`,
      { details: { length: boundaries.length } },
    );
  }
  const values: number[] = [];
  for (let i = 0; i < boundaries.length; i++) {
    const b: unknown = boundaries[i];
    if (typeof b !== 'number') {
      throw new MicroLoraError('INVALID_ARGUMENT', `boundaries[${i}] must be a number, got ${show(b)}`, {
        details: { index: i },
      });
    }
    if (!Number.isFinite(b)) {
      throw new MicroLoraError('NON_FINITE', `boundaries[${i}] is ${b}; boundaries must be finite`, {
        details: { index: i, value: b },
      });
    }
    if (i > 0 && b <= (values[i - 1] as number)) {
      throw new MicroLoraError(
        'INVALID_ARGUMENT',
        `boundaries must be strictly increasing but boundaries[${i}] = ${b} follows ${values[i - 1]}; sort them and drop duplicates`,
        { details: { index: i, value: b, previous: values[i - 1] } },
      );
    }
    values.push(b);
  }
  const first = values[0] as number;
  const last = values[values.length - 1] as number;
  if (first !== 0 || last !== 1) {
    throw new MicroLoraError(
      'OUT_OF_RANGE',
      `boundaries must start at 0 and end at 1 (timesteps are in [0, 1]), got ${first} … ${last}`,
      { details: { first, last } },
    );
  }
  const centres = values.slice(1).map((b, i) => ((values[i] as number) + b) / 2);
  return Object.freeze({
    boundaries: Object.freeze(values),
    centres: Object.freeze(centres),
    bankCount: values.length - 1,
  });
}

/** The range bank i covers, closed: [boundaries[i], boundaries[i + 1]]. */
export function bankRange(layout: BankLayout, bank: number): TimestepRange {
  return [layout.boundaries[bank] as number, layout.boundaries[bank + 1] as number];
}

/**
 * The bank holding timestep t: the i with boundaries[i] ≤ t < boundaries[i + 1].
 * A t exactly on an inner boundary belongs to the bank that starts there (the
 * upper one); t = 1 belongs to the last bank. t must be a validated timestep.
 */
export function bankIndexAt(layout: BankLayout, t: number): number {
  const b = layout.boundaries;
  // Binary search for the last boundary ≤ t among boundaries[0 … bankCount − 1].
  let lo = 0;
  let hi = layout.bankCount - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((b[mid] as number) <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** bankIndexAt with validation: t must be a number in [0, 1] (NaN → NON_FINITE, outside → OUT_OF_RANGE). */
export function checkedBankIndexAt(layout: BankLayout, t: unknown): number {
  assertTimestep(t, 't');
  return bankIndexAt(layout, t);
}

/**
 * The banks a pattern with timestep range [s, e] is stored in: every bank whose
 * range overlaps [s, e] over a positive length, so a pattern made for exactly one
 * bank's range lands in that bank only. A point range [s, s] goes to the bank
 * holding s (the same bank Discrete consults at t = s). Ascending bank order.
 */
export function banksForRange(layout: BankLayout, range: unknown): number[] {
  assertTimestepRange(range, 'pattern.timestepRange');
  const [s, e] = range;
  if (s === e) return [bankIndexAt(layout, s)];
  const out: number[] = [];
  const b = layout.boundaries;
  for (let i = 0; i < layout.bankCount; i++) {
    if (Math.min(e, b[i + 1] as number) > Math.max(s, b[i] as number)) out.push(i);
  }
  return out;
}
