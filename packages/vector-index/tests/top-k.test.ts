import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createFlatIndex } from '@microlora/vector-index';

// The heap is internal; it is exercised through the flat index with 1-d l2 data,
// where distances are easy to control and ties are frequent.
describe('top-k selection', () => {
  it('equals a full sort by (distance, id) with many ties, any k, any filter', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -6, max: 6 }), { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 4 }),
        (values, k, modulo) => {
          const index = createFlatIndex({ dimension: 1, metric: 'l2', capacity: 4 });
          values.forEach((v, i) => index.add(`id${(i * 7919) % 1000}`, new Float32Array([v])));
          const filter = (id: string) => Number(id.slice(2)) % modulo === 0;
          const expected = values
            .map((v, i) => ({ id: `id${(i * 7919) % 1000}`, distance: v * v }))
            .filter((h) => filter(h.id))
            .sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : 1))
            .slice(0, k);
          const got = index.search(new Float32Array([0]), k, { filter }).map(({ id, distance }) => ({ id, distance }));
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
