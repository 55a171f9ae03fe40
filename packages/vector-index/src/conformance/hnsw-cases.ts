import type { VectorIndex, VectorIndexOptions } from '../contract.js';
import { createFlatIndex } from '../flat-index.js';
import type { HnswParameterOptions } from '../adapter-kit/hnsw-parameters.js';
import type { HnswTunable } from '../adapter-kit/labelled-hnsw-index.js';
import type { ConformanceCase } from './cases.js';
import { check, expectRejects, expectThrows } from './check.js';
import { ClusteredData } from './data.js';
import { meanRecall } from './reference.js';

export type CreateHnswIndex = (
  options: VectorIndexOptions & HnswParameterOptions,
) => (VectorIndex & HnswTunable) | Promise<VectorIndex & HnswTunable>;

/**
 * The cases every HNSW adapter (a VectorIndex that is also HnswTunable) runs besides
 * vectorIndexConformanceCases: option checks and reporting, and a per-search ef that
 * widens the search for that call only. Framework-agnostic, like the main suite.
 */
export function hnswTunableConformanceCases(create: CreateHnswIndex): ConformanceCase[] {
  const make = async (o: VectorIndexOptions & HnswParameterOptions): Promise<VectorIndex & HnswTunable> => await create(o);
  return [
    {
      name: 'reports m, efConstruction and ef, and rejects bad HNSW options',
      async run() {
        const idx = await make({ dimension: 4, m: 8, efConstruction: 40, ef: 12 });
        const got = [idx.m, idx.efConstruction, idx.ef, idx.exact];
        check(got.join() === '8,40,12,false', `m, efConstruction, ef, exact are ${got.join(', ')}; expected 8, 40, 12, false`);
        for (const bad of [{ m: 1 }, { m: 2.5 }, { efConstruction: 0 }, { ef: -1 }, { seed: -1 }]) {
          await expectRejects(() => create({ dimension: 4, ...bad }), ['INVALID_ARGUMENT'], `options ${JSON.stringify(bad)}`);
        }
      },
    },
    {
      name: 'a per-search ef widens that search only; ef and options.ef are checked',
      async run() {
        const data = new ClusteredData('ef', 32);
        const items = data.sample(2000).map((vector, i) => ({ id: `v${i}`, vector }));
        const idx = await make({ dimension: 32, m: 4, efConstruction: 16, ef: 1 });
        const exact = createFlatIndex({ dimension: 32 });
        idx.addBatch(items);
        exact.addBatch(items);
        const queries = data.sample(50);
        const narrow = meanRecall(idx, exact, queries, 10);
        const wide = meanRecall(idx, exact, queries, 10, { ef: 400 });
        check(wide > narrow && wide > 0.97, `recall@10 with ef 400 is ${wide}, with ef 1 ${narrow}: expected above 0.97 and above ef 1`);
        const again = meanRecall(idx, exact, queries, 10);
        check(again === narrow && idx.ef === 1, `after a search with ef 400, ef is ${idx.ef} and recall ${again} (was ${narrow})`);
        expectThrows(() => (idx.ef = 0), ['INVALID_ARGUMENT'], 'ef = 0');
        expectThrows(() => idx.search(queries[0] as Float32Array, 5, { ef: 1.5 }), ['INVALID_ARGUMENT'], 'options.ef 1.5');
        check(idx.ef === 1, `a rejected ef changed ef to ${idx.ef}`);
      },
    },
  ];
}
