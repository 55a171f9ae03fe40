import { describe, expect, it } from 'vitest';
import { SeededRng } from '@microlora/core';
import type { VectorIndex, VectorIndexOptions } from '@microlora/vector-index';
import type { HnswParameterOptions, HnswTunable } from '@microlora/vector-index/adapter-kit';
import { hnswTunableConformanceCases, vectorIndexConformanceCases } from '@microlora/vector-index/conformance';
import { FakeHnswIndex } from './fake-label-library.js';

type Options = VectorIndexOptions & HnswParameterOptions;
const createFake = (options: Options): FakeHnswIndex => new FakeHnswIndex(options);

function filled(n: number, options: Partial<Options> = {}): { index: FakeHnswIndex; vectors: Float32Array[] } {
  const rng = new SeededRng(n);
  const index = createFake({ dimension: 8, metric: 'l2', capacity: n, ...options });
  const vectors = Array.from({ length: n }, () => rng.fillNormal(new Float32Array(8)));
  vectors.forEach((v, i) => index.add(`p${i}`, v));
  index.library.calls.length = 0;
  return { index, vectors };
}

describe('an adapter built on LabelledHnswIndex passes both conformance suites', () => {
  const cases = [
    ...vectorIndexConformanceCases(createFake, { approximate: { minRecallAt10: 0.9 } }),
    ...hnswTunableConformanceCases(createFake),
  ];
  for (const c of cases) (c.skip === undefined ? it : it.skip)(c.name, () => c.run());
});

describe('LabelledHnswIndex', () => {
  it('reuses the label of the last removed point (telling the library it is a reuse) before growing', () => {
    const { index, vectors } = filled(4);
    index.remove('p1');
    index.remove('p3');
    index.add('a', vectors[0]!);
    index.add('b', vectors[0]!);
    index.add('c', vectors[0]!);
    expect(index.library.calls).toEqual(['delete 1', 'delete 3', 'add 3 reused', 'add 1 reused', 'resize 8', 'add 4']);
    expect(index.ids().sort()).toEqual(['a', 'b', 'c', 'p0', 'p2']);
  });

  it('addBatch reserves once for the whole batch, counting reusable labels', () => {
    const { index, vectors } = filled(4);
    index.remove('p0');
    index.addBatch([1, 2, 3].map((i) => ({ id: `n${i}`, vector: vectors[i]! })));
    expect(index.library.calls).toEqual(['delete 0', 'resize 8', 'add 0 reused', 'add 4', 'add 5']);
  });

  it('a rejected add or batch never reaches the library', () => {
    const { index, vectors } = filled(3);
    expect(() => index.add('p1', vectors[0]!)).toThrow(expect.objectContaining({ code: 'DUPLICATE_ID' }));
    expect(() => index.addBatch([{ id: 'x', vector: vectors[0]! }, { id: 'x', vector: vectors[1]! }])).toThrow(
      expect.objectContaining({ code: 'DUPLICATE_ID' }),
    );
    expect(() => index.remove('nope')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(() => index.remove(7 as unknown as string)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(index.library.calls).toEqual([]);
    expect(index.size).toBe(3);
  });

  it('a failing library add leaves the id out and does not hand the label out again', () => {
    const { index, vectors } = filled(2);
    index.remove('p0');
    const add = index.library.add.bind(index.library);
    index.library.add = () => {
      throw new Error('library refused');
    };
    expect(() => index.add('x', vectors[0]!)).toThrow('library refused');
    expect(index.has('x')).toBe(false);
    index.library.add = add;
    index.add('y', vectors[1]!);
    expect(index.library.calls.at(-1)).toBe('add 2');
  });

  it('a per-search ef is set for that search and put back even when the library throws', () => {
    const { index, vectors } = filled(10, { ef: 5 });
    index.search(vectors[0]!, 3, { ef: 50 });
    index.search(vectors[0]!, 3, { ef: 5 });
    index.library.failNextSearch = true;
    expect(() => index.search(vectors[0]!, 3, { ef: 70 })).toThrow('library search failed');
    expect(index.library.calls).toEqual(['ef 50', 'search 3 ef 50', 'ef 5', 'search 3 ef 5', 'ef 70', 'search 3 ef 70', 'ef 5']);
    expect(index.library.ef).toBe(5);
  });

  it('holds a filter exception until the library returns, then rethrows it', () => {
    const { index, vectors } = filled(10);
    let calls = 0;
    const failure = new Error('filter failed');
    expect(() =>
      index.search(vectors[0]!, 5, {
        filter: () => {
          calls++;
          throw failure;
        },
      }),
    ).toThrow(failure);
    expect(calls).toBe(1);
    expect(index.library.calls).toEqual(['search 5 ef 64']);
    expect(index.search(vectors[0]!, 1)[0]).toMatchObject({ id: 'p0', distance: 0, similarity: 1 });
  });

  it('checks arguments and usability before the empty-index shortcut', () => {
    const index = createFake({ dimension: 8 });
    expect(index.search(new Float32Array(8).fill(1), 3)).toEqual([]);
    expect(() => index.search(new Float32Array(8).fill(1), 3, { ef: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => index.search(new Float32Array(8).fill(1), 0)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    index.dispose();
    expect(() => index.search(new Float32Array(8).fill(1), 3)).toThrow('disposed');
    expect(index.library.calls).toEqual(['ef 64']);
  });

  it('load adopts the saved parameters, and the saved ef only when the caller chose none', async () => {
    const { index } = filled(20, { m: 6, efConstruction: 30, seed: 9 });
    index.ef = 77;
    const bytes = await index.save();
    const adopting = createFake({ dimension: 8, metric: 'l2' });
    await adopting.load(bytes);
    expect([adopting.m, adopting.efConstruction, adopting.ef, adopting.library.ef]).toEqual([6, 30, 77, 77]);
    const explicit = createFake({ dimension: 8, metric: 'l2', ef: 200 });
    await explicit.load(bytes);
    expect([explicit.m, explicit.ef, explicit.library.ef]).toEqual([6, 200, 200]);
    const setLater = createFake({ dimension: 8, metric: 'l2' });
    setLater.ef = 12;
    await setLater.load(bytes);
    expect(setLater.ef).toBe(12);
  });

  it('load restores deleted slots as reusable labels', async () => {
    const { index, vectors } = filled(6);
    index.remove('p2');
    index.remove('p4');
    const copy = createFake({ dimension: 8, metric: 'l2' });
    await copy.load(await index.save());
    copy.library.calls.length = 0;
    copy.addBatch([0, 1].map((i) => ({ id: `n${i}`, vector: vectors[i]! })));
    expect(copy.library.calls).toEqual(['add 4 reused', 'add 2 reused']);
    expect(copy.capacity).toBe(6);
  });

  it('the ef setter checks its value and passes it to the library', () => {
    const { index } = filled(3);
    index.ef = 33;
    expect([index.ef, index.library.ef]).toEqual([33, 33]);
    for (const bad of [0, 1.5, -3, 2 ** 21, Number.NaN]) {
      expect(() => (index.ef = bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    expect(index.ef).toBe(33);
  });
});

describe('hnswTunableConformanceCases catches broken HNSW adapters', () => {
  type Tunable = VectorIndex & HnswTunable;
  const failing = async (create: (o: Options) => Tunable, name: string): Promise<void> => {
    const c = hnswTunableConformanceCases(create).find((x) => x.name === name);
    expect(c, `no case ${name}`).toBeDefined();
    await expect(Promise.resolve().then(() => c!.run())).rejects.toThrow();
  };
  const WIDENS = 'a per-search ef widens that search only; ef and options.ef are checked';

  it('an adapter ignoring options.ef', async () => {
    await failing((o) => {
      const index = createFake(o);
      const search = index.search.bind(index);
      index.search = (q, k, options) => search(q, k, { ...options, ef: undefined });
      return index;
    }, WIDENS);
  });

  it('an adapter keeping a per-search ef afterwards', async () => {
    await failing((o) => {
      const index = createFake(o);
      const search = index.search.bind(index);
      index.search = (q, k, options) => {
        const hits = search(q, k, options);
        if (options?.ef !== undefined) index.ef = options.ef;
        return hits;
      };
      return index;
    }, WIDENS);
  });

  it('an adapter accepting a bad m or reporting another ef', async () => {
    const NAME = 'reports m, efConstruction and ef, and rejects bad HNSW options';
    await failing((o) => createFake({ ...o, m: o.m === 1 ? 2 : o.m }), NAME);
    await failing((o) => Object.assign(createFake(o), { ef: 13 }), NAME);
  });
});
