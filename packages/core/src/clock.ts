import { assertFiniteNumber } from './validate.js';

/** A source of wall-clock milliseconds, injectable so that time-dependent code is testable. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The real clock (Date.now). */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to; for tests and simulations. */
export class ManualClock implements Clock {
  private time: number;
  constructor(startMs = 0) {
    this.time = startMs;
  }
  now(): number {
    return this.time;
  }
  /** Move forward by `ms` (may be fractional, never negative). */
  advance(ms: number): void {
    assertFiniteNumber('ms', ms, 0);
    this.time += ms;
  }
  set(ms: number): void {
    assertFiniteNumber('ms', ms);
    this.time = ms;
  }
}
