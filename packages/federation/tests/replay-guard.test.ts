import { describe, expect, it } from 'vitest';
import { ReplayGuard } from '@microlora/federation';

describe('ReplayGuard', () => {
  it('remembers keys up to its capacity, then forgets the oldest and raises the floor to its time', () => {
    const guard = new ReplayGuard({ capacity: 3 });
    expect(guard.floor).toBe(Number.NEGATIVE_INFINITY);
    guard.remember(['a', 'b'], 100);
    guard.remember(['c'], 50);
    expect([guard.has('a'), guard.has('b'), guard.has('c'), guard.size]).toStrictEqual([true, true, true, 3]);
    guard.remember(['d'], 200);
    expect(guard.has('a')).toBe(false);
    expect(guard.floor).toBe(100);
    guard.remember(['e'], 300);
    guard.remember(['f'], 300);
    // 'b' (100) and 'c' (50) went: the floor never moves down.
    expect(guard.floor).toBe(100);
    expect(guard.size).toBe(3);
  });

  it('re-remembering a key refreshes it instead of duplicating it', () => {
    const guard = new ReplayGuard({ capacity: 2 });
    guard.remember(['a'], 1);
    guard.remember(['b'], 2);
    guard.remember(['a'], 3);
    guard.remember(['c'], 4);
    expect([guard.has('a'), guard.has('b'), guard.has('c')]).toStrictEqual([true, false, true]);
    expect(guard.floor).toBe(2);
  });

  it('validates its arguments', () => {
    expect(() => new ReplayGuard({ capacity: 0 })).toThrow(expect.objectContaining({ code: 'OUT_OF_RANGE' }));
    expect(() => new ReplayGuard({ capacity: 1.5 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new ReplayGuard().remember(['a'], Number.NaN)).toThrow(expect.objectContaining({ code: 'NON_FINITE' }));
  });
});
