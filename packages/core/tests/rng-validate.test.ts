import { describe, expect, it } from 'vitest';
import {
  ManualClock,
  MicroLoraError,
  SeededRng,
  assertAllFinite,
  assertTimestep,
  assertTimestepRange,
  isMicroLoraError,
} from '@microlora/core';

describe('SeededRng', () => {
  it('repeats the same stream for the same seed (numbers and strings)', () => {
    const a = new SeededRng('user-1');
    const b = new SeededRng('user-1');
    const c = new SeededRng('user-2');
    const sa = Array.from({ length: 8 }, () => a.nextU32());
    expect(Array.from({ length: 8 }, () => b.nextU32())).toEqual(sa);
    expect(Array.from({ length: 8 }, () => c.nextU32())).not.toEqual(sa);
  });

  it('produces uniform floats in [0,1) and normals with mean 0, variance 1', () => {
    const rng = new SeededRng(123);
    let sum = 0;
    let sq = 0;
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      expect(u >= 0 && u < 1).toBe(true);
      const z = rng.normal();
      sum += z;
      sq += z * z;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.01);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.02);
  });
});

describe('validation', () => {
  it('names the first non-finite index', () => {
    try {
      assertAllFinite('hidden', new Float32Array([0, 1, Number.NaN]));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(MicroLoraError);
      expect((err as MicroLoraError).code).toBe('NON_FINITE');
      expect((err as MicroLoraError).details).toMatchObject({ index: 2 });
      expect((err as Error).message).toContain('hidden[2]');
    }
  });

  it('keeps timesteps in [0, 1]', () => {
    expect(() => assertTimestep(0)).not.toThrow();
    expect(() => assertTimestep(1)).not.toThrow();
    expect(() => assertTimestep(1.01)).toThrow(expect.objectContaining({ code: 'OUT_OF_RANGE' }));
    expect(() => assertTimestep(Number.NaN)).toThrow(expect.objectContaining({ code: 'NON_FINITE' }));
    expect(() => assertTimestepRange([0.5, 0.2])).toThrow(expect.objectContaining({ code: 'OUT_OF_RANGE' }));
  });

  it('recognises errors from another copy of the package by name and code', () => {
    const foreign = Object.assign(new Error('x'), { name: 'MicroLoraError', code: 'CORRUPT_DATA' });
    expect(isMicroLoraError(foreign, 'CORRUPT_DATA')).toBe(true);
    expect(isMicroLoraError(foreign, 'NON_FINITE')).toBe(false);
    expect(isMicroLoraError(new Error('x'))).toBe(false);
  });

  it('ManualClock moves only when told', () => {
    const clock = new ManualClock(1000);
    clock.advance(250);
    expect(clock.now()).toBe(1250);
    expect(() => clock.advance(-1)).toThrow(expect.objectContaining({ code: 'OUT_OF_RANGE' }));
  });
});
