import { describe, expect, it } from 'vitest';
import { SeededRng, type Pattern } from '@microlora/core';
import { TaloraManager } from '@microlora/talora';
import { clock, errorCode, pattern, randomLora, randomUnit, syncErrorCode } from './helpers.js';

function manager(maxPatterns = 10, onEvict?: (p: Pattern) => void): TaloraManager {
  return new TaloraManager({ bank: { maxPatterns, dimension: 16 }, clock: clock(), ...(onEvict ? { onEvict } : {}) });
}

describe('insert by timestep range', () => {
  it('routes a range to the banks it overlaps over a positive length', () => {
    const m = manager();
    const rng = new SeededRng(1);
    expect(m.insert(pattern('a', randomUnit(rng), [0, 1 / 3], 1)).banks).toEqual([0]);
    expect(m.insert(pattern('b', randomUnit(rng), [0.2, 0.5], 2)).banks).toEqual([0, 1]);
    expect(m.insert(pattern('c', randomUnit(rng), [0, 1], 3)).banks).toEqual([0, 1, 2]);
    expect(m.insert(pattern('d', randomUnit(rng), [2 / 3, 2 / 3], 4)).banks).toEqual([2]);
    expect(m.banks.map((b) => b.size)).toEqual([3, 2, 2]);
    expect(m.stats()).toMatchObject({ patterns: 4, placements: 7, spanning: 2 });
    expect(m.banksOf('b')).toEqual([0, 1]);
    expect(m.patterns().map((p) => p.id).sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('spanning banks share one compressed copy of the weights', () => {
    const m = manager();
    m.insert(pattern('c', randomUnit(new SeededRng(2)), [0, 1], 3));
    const [l0, l1, l2] = m.banks.map((b) => b.get('c')!.lora);
    expect(l0).toBe(l1);
    expect(l1).toBe(l2);
    const [p0, p1] = m.banks.map((b) => b.get('c')!);
    expect(p0!.metrics).toEqual(p1!.metrics);
    expect(p0!.metrics).not.toBe(p1!.metrics);
  });

  it('ids are unique across banks: DUPLICATE_ID unless replace, which may move the pattern', () => {
    const m = manager();
    const rng = new SeededRng(3);
    m.insert(pattern('x', randomUnit(rng), [0, 0.5], 1));
    expect(syncErrorCode(() => m.insert(pattern('x', randomUnit(rng), [0.8, 0.9], 2)))).toBe('DUPLICATE_ID');
    expect(m.banksOf('x')).toEqual([0, 1]);
    const moved = m.insert(pattern('x', randomUnit(rng), [0.4, 0.9], 2), { replace: true });
    expect(moved).toMatchObject({ replaced: true, banks: [1, 2] });
    expect(m.banks.map((b) => b.has('x'))).toEqual([false, true, true]);
    expect(m.stats()).toMatchObject({ patterns: 1, placements: 2 });
  });

  it('nothing changes when validation fails', () => {
    const m = manager();
    const rng = new SeededRng(4);
    m.insert(pattern('ok', randomUnit(rng), [0, 1], 1));
    const before = m.stats();
    expect(syncErrorCode(() => m.insert(pattern('bad', new Float32Array(16), [0, 1], 2)))).toBe('INVALID_ARGUMENT');
    expect(syncErrorCode(() => m.insert(pattern('bad', randomUnit(rng), [0, 1], 2, { lora: randomLora(2, 2, 9) })))).toBe(
      'DIMENSION_MISMATCH',
    );
    expect(syncErrorCode(() => m.insert(pattern('bad', randomUnit(rng), [0.5, 0.2], 2)))).toBe('OUT_OF_RANGE');
    expect(syncErrorCode(() => m.insert(pattern('bad', randomUnit(rng), [0, 1], 2, { lora: randomLora(2, 8) })))).toBe(
      'RANK_OUT_OF_RANGE',
    );
    expect(syncErrorCode(() => m.insert(pattern('', randomUnit(rng), [0, 1], 2)))).toBe('INVALID_ARGUMENT');
    // A failed replace keeps the old version everywhere.
    expect(
      syncErrorCode(() => m.insert(pattern('ok', new Float32Array(16).fill(Number.NaN), [0, 1], 2), { replace: true })),
    ).toBe('NON_FINITE');
    expect(m.banksOf('ok')).toEqual([0, 1, 2]);
    expect(m.stats()).toMatchObject({ patterns: before.patterns, placements: before.placements });
    expect(m.has('bad')).toBe(false);
  });

  it('remove takes the pattern out of every bank; NOT_FOUND otherwise', () => {
    const m = manager();
    m.insert(pattern('c', randomUnit(new SeededRng(5)), [0, 1], 3));
    m.remove('c');
    expect(m.banks.map((b) => b.size)).toEqual([0, 0, 0]);
    expect(m.has('c')).toBe(false);
    expect(syncErrorCode(() => m.remove('c'))).toBe('NOT_FOUND');
    expect(syncErrorCode(() => m.recordUsage('c'))).toBe('NOT_FOUND');
    expect(syncErrorCode(() => m.remove(5 as never))).toBe('INVALID_ARGUMENT');
  });
});

describe('metrics stay consistent across copies', () => {
  it('usage and feedback reach every copy', () => {
    const m = manager();
    m.insert(pattern('c', randomUnit(new SeededRng(6)), [0, 1], 3));
    m.recordUsage('c', { latencyMs: 4, userId: 'u1' });
    m.recordUsage('c', { latencyMs: 8, userId: 'u2' });
    m.updateMetrics('c', { quality: 0.9 });
    m.updateMetrics('c', { quality: 0.5, denoisingQuality: 0.4 });
    const metrics = m.banks.map((b) => b.get('c')!.metrics);
    expect(metrics[0]).toMatchObject({ usageCount: 2, avgLatencyMs: 6, distinctUsers: 2, feedbackCount: 2, successRate: 0.7 });
    expect(metrics[1]).toEqual(metrics[0]);
    expect(metrics[2]).toEqual(metrics[0]);
    expect(syncErrorCode(() => m.updateMetrics('c', { quality: 2 }))).toBe('OUT_OF_RANGE');
    expect(m.get('c')!.metrics.feedbackCount).toBe(2);
  });
});

describe('eviction', () => {
  it('a pattern evicted by one bank leaves every bank, counted and reported once', () => {
    const evicted: string[] = [];
    const m = manager(2, (p) => evicted.push(p.id));
    const rng = new SeededRng(7);
    m.insert(pattern('span', randomUnit(rng), [0, 0.5], 1)); // banks 0 and 1
    m.insert(pattern('b1', randomUnit(rng), [0.4, 0.6], 2)); // bank 1
    const result = m.insert(pattern('a0', randomUnit(rng), [0, 0.1], 3)); // bank 0 full? not yet
    expect(result.evictedIds).toEqual([]);
    const third = m.insert(pattern('a1', randomUnit(rng), [0, 0.1], 4)); // bank 0 evicts its LRU: 'span'
    expect(third.evictedIds).toEqual(['span']);
    expect(evicted).toEqual(['span']);
    expect(m.banks.map((b) => b.has('span'))).toEqual([false, false, false]);
    expect(m.has('span')).toBe(false);
    expect(m.stats()).toMatchObject({ patterns: 3, placements: 3, spanning: 0, evictions: 1 });
  });

  it('usage through the manager protects a spanning pattern in all its banks', () => {
    const m = manager(2);
    const rng = new SeededRng(8);
    m.insert(pattern('span', randomUnit(rng), [0, 0.5], 1));
    m.insert(pattern('old', randomUnit(rng), [0, 0.1], 2));
    m.recordUsage('span');
    const r = m.insert(pattern('new', randomUnit(rng), [0, 0.1], 3));
    expect(r.evictedIds).toEqual(['old']);
    expect(m.banksOf('span')).toEqual([0, 1]);
  });
});

describe('errors of insert itself', () => {
  it('rejects malformed calls with typed errors', async () => {
    const m = manager();
    expect(await errorCode(() => m.insert(null as never))).toBe('INVALID_ARGUMENT');
    expect(await errorCode(() => m.insert(pattern('a', randomUnit(new SeededRng(1)), [0, 1], 1), { replace: 1 as never }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await errorCode(() => m.insert({ ...pattern('a', randomUnit(new SeededRng(1)), [0, 1], 1), lora: null as never }))).toBe(
      'INVALID_ARGUMENT',
    );
  });
});

describe('a failing index in a later bank', () => {
  it('takes the pattern out of every bank and rethrows', async () => {
    const { MicroLoraBank } = await import('@microlora/bank');
    const m = new TaloraManager({
      bank: {
        maxPatterns: 4,
        dimension: 16,
        createIndex: (bank) => {
          const index = new MicroLoraBank({ timestepRange: [0, 1], maxPatterns: 1, dimension: 16 }).index;
          if (bank !== 2) return index;
          return new Proxy(index, {
            get(target, key, receiver) {
              if (key === 'add') {
                return (id: string, v: Float32Array) => {
                  if (id === 'boom') throw new Error('disk full');
                  target.add(id, v);
                };
              }
              const value: unknown = Reflect.get(target, key, receiver);
              return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
            },
          });
        },
      },
      clock: clock(),
    });
    const rng = new SeededRng(9);
    m.insert(pattern('fine', randomUnit(rng), [0, 1], 1));
    expect(await errorCode(() => m.insert(pattern('boom', randomUnit(rng), [0, 1], 2)))).toBe('untyped Error: disk full');
    expect(m.banks.map((b) => b.has('boom'))).toEqual([false, false, false]);
    expect(m.has('boom')).toBe(false);
    expect(m.stats()).toMatchObject({ patterns: 1, placements: 3 });
  });
});
