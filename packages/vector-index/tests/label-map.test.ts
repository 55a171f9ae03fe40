import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LabelMap } from '@microlora/vector-index/adapter-kit';

const noop = (): void => undefined;

/** Adds `id` and returns [label, reused]. */
function add(map: LabelMap, id: string): [number, boolean] {
  let seen: [number, boolean] = [-1, false];
  map.add(id, (label, reused) => {
    seen = [label, reused];
  });
  return seen;
}

describe('LabelMap', () => {
  it('mints labels from 0, maps both ways, and reuses the last freed label first', () => {
    const map = new LabelMap();
    expect(['a', 'b', 'c', 'd'].map((id) => add(map, id))).toEqual([
      [0, false],
      [1, false],
      [2, false],
      [3, false],
    ]);
    expect(map.remove('b', noop)).toBe(1);
    expect(map.remove('d', noop)).toBe(3);
    expect([map.size, map.reusable, map.has('b'), map.labelOf('b'), map.idOf(1)]).toEqual([2, 2, false, undefined, undefined]);
    expect([add(map, 'e'), add(map, 'f'), add(map, 'g')]).toEqual([
      [3, true],
      [1, true],
      [4, false],
    ]);
    expect([map.labelOf('f'), map.idOf(1), map.reusable]).toEqual([1, 'f', 0]);
    expect(map.ids()).toEqual(['a', 'c', 'e', 'f', 'g']);
  });

  it('entries() lists the live ids with their labels, as a copy', () => {
    const map = new LabelMap();
    for (const id of ['x', 'y', 'z']) add(map, id);
    map.remove('y', noop);
    const entries = map.entries();
    expect(entries).toEqual({ ids: ['x', 'z'], labels: new Uint32Array([0, 2]) });
    entries.ids.push('w');
    expect(map.ids()).toEqual(['x', 'z']);
  });

  it('binds only after the library stored the point; a failed store spends the label', () => {
    const map = new LabelMap();
    add(map, 'a');
    map.remove('a', noop);
    expect(() =>
      map.add('b', () => {
        throw new Error('store failed');
      }),
    ).toThrow('store failed');
    // Label 0 may hold a half-written point: it is never handed out again.
    expect([map.has('b'), map.size, map.reusable]).toEqual([false, 0, 0]);
    expect(add(map, 'b')).toEqual([1, false]);
  });

  it('unbinds only after the library deleted the point', () => {
    const map = new LabelMap();
    add(map, 'a');
    expect(() =>
      map.remove('a', () => {
        throw new Error('delete failed');
      }),
    ).toThrow('delete failed');
    expect([map.has('a'), map.labelOf('a'), map.reusable]).toEqual([true, 0, 0]);
  });

  it('refuses a bound id (DUPLICATE_ID) and an unknown one (NOT_FOUND) without calling the library', () => {
    const map = new LabelMap();
    add(map, 'a');
    let calls = 0;
    const count = (): void => {
      calls++;
    };
    expect(() => map.add('a', count)).toThrow(expect.objectContaining({ code: 'DUPLICATE_ID' }));
    expect(() => map.remove('b', count)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(calls).toBe(0);
  });

  it('restore() frees the slot labels without an id and mints past the largest one', () => {
    const map = LabelMap.restore({ ids: ['p', 'q'], labels: new Uint32Array([4, 1]) }, [0, 1, 2, 4, 3], 'test index');
    expect([map.size, map.labelOf('p'), map.idOf(1), map.reusable]).toEqual([2, 4, 'q', 3]);
    expect([add(map, 'r'), add(map, 's'), add(map, 't'), add(map, 'u')]).toEqual([
      [3, true],
      [2, true],
      [0, true],
      [5, false],
    ]);
  });

  it('restore() rejects a table that does not fit the slots as CORRUPT_DATA naming the index', () => {
    const bad: [string[], number[], number[], string][] = [
      [['a'], [5], [0, 1], 'label 5 is not in the graph'],
      [['a', 'a'], [0, 1], [0, 1], 'id "a" appears twice'],
      [['a', 'b'], [1, 1], [0, 1], 'label 1 appears twice'],
    ];
    for (const [ids, labels, slots, reason] of bad) {
      expect(() => LabelMap.restore({ ids, labels: new Uint32Array(labels) }, slots, 'test index')).toThrow(
        expect.objectContaining({ code: 'CORRUPT_DATA', message: expect.stringContaining(reason) }),
      );
    }
    expect(() => LabelMap.restore({ ids: ['a'], labels: new Uint32Array(0) }, [0], 'test index')).toThrow(
      expect.objectContaining({ code: 'CORRUPT_DATA' }),
    );
  });

  it('clear() forgets everything and starts minting at 0 again', () => {
    const map = new LabelMap();
    for (const id of ['a', 'b']) add(map, id);
    map.remove('a', noop);
    map.clear();
    expect([map.size, map.reusable, map.ids()]).toEqual([0, 0, []]);
    expect(add(map, 'c')).toEqual([0, false]);
  });

  it('matches a naive model under random adds and removes, and survives entries() → restore()', () => {
    const op = fc.oneof(
      fc.record({ add: fc.integer({ min: 0, max: 15 }) }),
      fc.record({ remove: fc.integer({ min: 0, max: 15 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const map = new LabelMap();
        // The model: live id → label, the free stack, every slot ever used.
        const live = new Map<string, number>();
        const free: number[] = [];
        let slots = 0;
        for (const o of ops) {
          const id = `id${'add' in o ? o.add : o.remove}`;
          if ('add' in o) {
            if (live.has(id)) continue;
            const reused = free.length > 0;
            const expected = reused ? (free.pop() as number) : slots++;
            expect(add(map, id)).toEqual([expected, reused]);
            live.set(id, expected);
          } else {
            if (!live.has(id)) continue;
            expect(map.remove(id, noop)).toBe(live.get(id));
            free.push(live.get(id) as number);
            live.delete(id);
          }
        }
        expect(new Map(map.ids().map((id) => [id, map.labelOf(id)]))).toEqual(live);
        expect(map.reusable).toBe(free.length);
        // A restored map holds the same entries and hands out the same set of labels next.
        const restored = LabelMap.restore(map.entries(), Array.from({ length: slots }, (_, i) => i), 'model');
        const next = (m: LabelMap): number[] => Array.from({ length: free.length + 1 }, (_, i) => add(m, `new${i}`)[0]).sort((a, b) => a - b);
        expect(new Map(restored.ids().map((id) => [id, restored.labelOf(id)]))).toEqual(live);
        expect(next(restored)).toEqual(next(map));
      }),
      { numRuns: 300 },
    );
  });
});
