import { SeededRng } from '@microlora/core';
import type { IndexItem, Metric, SearchHit, VectorIndex, VectorIndexOptions } from '../contract.js';
import { METRICS } from '../validate.js';
import {
  check,
  checkExactRanks,
  checkHitValues,
  checkOrdered,
  expectRejects,
  expectThrows,
  vectorsById,
} from './check.js';
import { ClusteredData, gaussianVector } from './data.js';
import { recall, referenceSearch } from './reference.js';

/** One conformance check: `run` throws a plain Error with a precise message on failure. */
export interface ConformanceCase {
  name: string;
  run(): void | Promise<void>;
  /** Present when the caller asked to skip this case: the reason. The runner decides (it.skip). */
  skip?: string;
}

export type CreateVectorIndex = (options: VectorIndexOptions) => VectorIndex | Promise<VectorIndex>;

export interface VectorIndexConformanceOptions {
  /**
   * For approximate indexes: judge result sets by recall@10 against the exact
   * float64 top 10 (2,000 clustered 64-d vectors, 100 queries) instead of exact ranks.
   */
  approximate?: { minRecallAt10: number };
  /** Case name → reason. Unknown names throw, so a renamed case cannot be skipped silently. */
  skip?: Record<string, string>;
}

/** Relative tolerance of distances: exact indexes round like float32 (~1e-5), approximate ones get 10×. */
const EXACT_REL = 1e-5;
const APPROX_REL = 1e-4;

/**
 * The conformance cases every VectorIndex adapter runs. Framework-agnostic:
 * `for (const c of vectorIndexConformanceCases(create)) (c.skip ? it.skip : it)(c.name, () => c.run());`
 */
export function vectorIndexConformanceCases(
  create: CreateVectorIndex,
  options: VectorIndexConformanceOptions = {},
): ConformanceCase[] {
  const approximate = options.approximate;
  const rel = approximate === undefined ? EXACT_REL : APPROX_REL;
  const make = async (o: VectorIndexOptions): Promise<VectorIndex> => await create(o);

  /** Recall or exact-rank check of one query's hits against the float64 truth. */
  const judge = (
    hits: readonly SearchHit[],
    truth: readonly SearchHit[],
    byId: ReadonlyMap<string, Float32Array>,
    query: Float32Array,
    metric: Metric,
    label: string,
  ): number => {
    checkOrdered(hits, label);
    checkHitValues(hits, query, byId, metric, rel, label);
    if (approximate === undefined) checkExactRanks(hits, truth, byId, query, metric, rel, label);
    return recall(hits.slice(0, truth.length), truth);
  };

  const requireRecall = (mean: number, label: string): void => {
    if (approximate === undefined) return;
    check(
      mean >= approximate.minRecallAt10,
      `${label}: mean recall ${mean.toFixed(4)} is below the required ${approximate.minRecallAt10}`,
    );
  };

  const cases: ConformanceCase[] = [
    {
      name: 'reports kind, dimension, metric, exact, size and capacity',
      async run() {
        const idx = await make({ dimension: 12 });
        check(typeof idx.kind === 'string' && idx.kind.length > 0, `kind must be a non-empty string, got ${String(idx.kind)}`);
        check(idx.dimension === 12, `dimension is ${idx.dimension}, expected 12`);
        check(idx.metric === 'cosine', `the default metric is ${idx.metric}, expected 'cosine'`);
        check(idx.exact === (approximate === undefined), `exact is ${idx.exact}, but the suite runs in ${approximate ? 'approximate' : 'exact'} mode`);
        check(idx.size === 0, `a new index has size ${idx.size}`);
        check(Number.isInteger(idx.capacity) && idx.capacity >= 0, `capacity ${idx.capacity} is not a count`);
        check(idx.ids().length === 0, 'a new index lists ids');
        for (const metric of METRICS) {
          const other = await make({ dimension: 5, metric, capacity: 3 });
          check(other.metric === metric, `metric is ${other.metric}, expected ${metric}`);
          check(other.dimension === 5, `dimension is ${other.dimension}, expected 5`);
        }
      },
    },
    {
      name: 'rejects invalid options',
      async run() {
        for (const dimension of [0, -1, 1.5, Number.NaN, '8']) {
          await expectRejects(() => make({ dimension } as unknown as VectorIndexOptions), ['INVALID_ARGUMENT', 'OUT_OF_RANGE'], `dimension ${String(dimension)}`);
        }
        await expectRejects(() => make({ dimension: 4, metric: 'euclid' as Metric }), ['INVALID_ARGUMENT'], "metric 'euclid'");
        for (const capacity of [0, -5, 1.5]) {
          await expectRejects(() => make({ dimension: 4, capacity }), ['INVALID_ARGUMENT', 'OUT_OF_RANGE'], `capacity ${capacity}`);
        }
      },
    },
    {
      name: 'add, has, size, ids, remove and re-add',
      async run() {
        const rng = new SeededRng('crud');
        const idx = await make({ dimension: 8 });
        const a = gaussianVector(rng, 8);
        const b = gaussianVector(rng, 8);
        const c = gaussianVector(rng, 8);
        idx.add('a', a);
        idx.add('b', b);
        idx.add('c', c);
        check(idx.size === 3, `size ${idx.size} after 3 adds`);
        check(idx.capacity >= idx.size, `capacity ${idx.capacity} < size ${idx.size}`);
        check(idx.has('a') && idx.has('b') && idx.has('c') && !idx.has('d'), 'has() disagrees with the adds');
        check(sameSet(idx.ids(), ['a', 'b', 'c']), `ids() is ${JSON.stringify(idx.ids())}`);
        idx.remove('b');
        check(sizeOf(idx) === 2 && !idx.has('b'), `after remove('b'): size ${idx.size}, has(b) ${idx.has('b')}`);
        check(sameSet(idx.ids(), ['a', 'c']), `ids() after remove is ${JSON.stringify(idx.ids())}`);
        check(!idx.search(b, 10).some((h) => h.id === 'b'), 'a removed id is still returned');
        const b2 = gaussianVector(rng, 8);
        idx.add('b', b2);
        check(sizeOf(idx) === 3 && idx.has('b'), 're-adding a removed id failed');
        const top = idx.search(b2, 1)[0];
        check(top?.id === 'b' && Math.abs(top.distance) < 1e-5, `the re-added vector is not found: ${JSON.stringify(top)}`);
        const ids = idx.ids();
        ids.length = 0;
        check(idx.size === 3 && idx.ids().length === 3, 'ids() must return a copy');
      },
    },
    {
      name: 'addBatch is all-or-nothing',
      async run() {
        const rng = new SeededRng('batch');
        const idx = await make({ dimension: 6 });
        idx.add('kept', gaussianVector(rng, 6));
        const good = (id: string): IndexItem => ({ id, vector: gaussianVector(rng, 6) });
        const nan = gaussianVector(rng, 6);
        nan[2] = Number.NaN;
        expectThrows(() => idx.addBatch([good('x'), { id: 'y', vector: new Float32Array(5).fill(1) }]), ['DIMENSION_MISMATCH'], 'batch with a short vector');
        expectThrows(() => idx.addBatch([good('x'), { id: 'y', vector: nan }]), ['NON_FINITE'], 'batch with NaN');
        expectThrows(() => idx.addBatch([good('x'), good('x')]), ['DUPLICATE_ID'], 'batch repeating an id');
        expectThrows(() => idx.addBatch([good('x'), good('kept')]), ['DUPLICATE_ID'], 'batch with an id already present');
        check(idx.size === 1 && !idx.has('x') && !idx.has('y'), `a failed batch added items: size ${idx.size}`);
        function* gen(): Generator<IndexItem> {
          for (let i = 0; i < 10; i++) yield good(`g${i}`);
        }
        idx.addBatch(gen());
        idx.addBatch([]);
        check(sizeOf(idx) === 11 && idx.has('g9'), `addBatch(generator) gave size ${idx.size}`);
      },
    },
    {
      name: 'add rejects a duplicate id (DUPLICATE_ID)',
      async run() {
        const rng = new SeededRng('dup');
        const idx = await make({ dimension: 4, metric: 'l2' });
        const v = gaussianVector(rng, 4);
        idx.add('a', v);
        expectThrows(() => idx.add('a', gaussianVector(rng, 4)), ['DUPLICATE_ID'], 'add of an existing id');
        check(idx.size === 1, `size ${idx.size} after a rejected duplicate`);
        const top = idx.search(v, 1)[0];
        check(top?.id === 'a' && top.distance < 1e-6, 'a rejected duplicate replaced the stored vector');
      },
    },
    {
      name: 'remove rejects an unknown id (NOT_FOUND)',
      async run() {
        const idx = await make({ dimension: 4 });
        expectThrows(() => idx.remove('nope'), ['NOT_FOUND'], 'remove on an empty index');
        idx.add('a', new Float32Array([1, 2, 3, 4]));
        idx.remove('a');
        expectThrows(() => idx.remove('a'), ['NOT_FOUND'], 'remove twice');
        check(idx.size === 0, `size ${idx.size}`);
      },
    },
    {
      name: 'rejects a wrong vector length (DIMENSION_MISMATCH)',
      async run() {
        const idx = await make({ dimension: 8 });
        idx.add('a', new Float32Array(8).fill(1));
        for (const n of [0, 7, 9]) {
          expectThrows(() => idx.add(`x${n}`, new Float32Array(n).fill(1)), ['DIMENSION_MISMATCH'], `add of length ${n}`);
          expectThrows(() => idx.search(new Float32Array(n).fill(1), 1), ['DIMENSION_MISMATCH'], `search of length ${n}`);
        }
        check(idx.size === 1, `size ${idx.size} after rejected adds`);
      },
    },
    {
      name: 'rejects NaN and Infinity (NON_FINITE)',
      async run() {
        for (const metric of METRICS) {
          const idx = await make({ dimension: 8, metric });
          idx.add('a', new Float32Array(8).fill(1));
          for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
            const v = new Float32Array(8).fill(1);
            v[5] = bad;
            expectThrows(() => idx.add('x', v), ['NON_FINITE'], `${metric}: add with ${bad}`);
            expectThrows(() => idx.search(v, 1), ['NON_FINITE'], `${metric}: search with ${bad}`);
          }
          check(idx.size === 1 && !idx.has('x'), `${metric}: a rejected vector was added`);
        }
      },
    },
    {
      name: 'cosine rejects a zero vector (INVALID_ARGUMENT)',
      async run() {
        const zero = new Float32Array(8);
        const idx = await make({ dimension: 8, metric: 'cosine' });
        idx.add('a', new Float32Array(8).fill(1));
        expectThrows(() => idx.add('z', zero), ['INVALID_ARGUMENT'], 'cosine add of a zero vector');
        expectThrows(() => idx.search(zero, 1), ['INVALID_ARGUMENT'], 'cosine search with a zero vector');
        check(idx.size === 1, 'a zero vector was added under cosine');
        // Zero is an ordinary point under the other metrics.
        const l2 = await make({ dimension: 8, metric: 'l2' });
        l2.add('z', zero);
        l2.add('one', new Float32Array(8).fill(1));
        const near = l2.search(zero, 2);
        check(near[0]?.id === 'z' && near[0].distance === 0, `l2: the zero vector is not its own nearest: ${JSON.stringify(near)}`);
        check(Math.abs((near[1]?.distance ?? 0) - 8) <= 8 * rel, `l2: ‖1‖² should be 8, got ${near[1]?.distance}`);
        const ip = await make({ dimension: 8, metric: 'inner-product' });
        ip.add('z', zero);
        const ipHit = ip.search(new Float32Array(8).fill(1), 1)[0];
        check(ipHit?.id === 'z' && Math.abs(ipHit.similarity) < 1e-6, `inner-product with a zero vector: ${JSON.stringify(ipHit)}`);
      },
    },
    {
      name: 'search rejects a bad k (INVALID_ARGUMENT)',
      async run() {
        const idx = await make({ dimension: 4 });
        idx.add('a', new Float32Array([1, 0, 0, 0]));
        const q = new Float32Array([1, 1, 0, 0]);
        for (const k of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '3']) {
          expectThrows(() => idx.search(q, k as number), ['INVALID_ARGUMENT'], `k = ${String(k)}`);
        }
      },
    },
    ...METRICS.map(
      (metric): ConformanceCase => ({
        name: `search matches brute force: ${metric}`,
        async run() {
          const data = new ClusteredData(`brute-${metric}`, 64);
          const items = data.sample(2000).map((vector, i) => ({ id: `v${i}`, vector }));
          const byId = vectorsById(items);
          const idx = await make({ dimension: 64, metric });
          // Exercise both insertion paths.
          for (const it of items.slice(0, 1000)) idx.add(it.id, it.vector);
          idx.addBatch(items.slice(1000));
          check(idx.size === 2000, `size ${idx.size} after 2000 adds`);
          let sum = 0;
          const queries = data.sample(100);
          for (let q = 0; q < queries.length; q++) {
            const query = queries[q] as Float32Array;
            const hits = idx.search(query, 10);
            check(hits.length === 10, `${metric} query ${q}: ${hits.length} hits for k = 10`);
            sum += judge(hits, referenceSearch(items, query, 10, metric), byId, query, metric, `${metric} query ${q}`);
          }
          requireRecall(sum / queries.length, `${metric} recall@10`);
          if (approximate === undefined) {
            for (const k of [1, 50]) {
              const query = queries[0] as Float32Array;
              judge(idx.search(query, k), referenceSearch(items, query, k, metric), byId, query, metric, `${metric} k = ${k}`);
            }
          }
        },
      }),
    ),
    {
      name: 'search orders equal distances by id',
      async run() {
        const rng = new SeededRng('ties');
        for (const metric of METRICS) {
          const idx = await make({ dimension: 16, metric });
          for (let i = 0; i < 40; i++) idx.add(`r${i}`, gaussianVector(rng, 16));
          // Large norm so the copies also win under inner-product.
          const x = gaussianVector(rng, 16, 10);
          for (const id of ['dup-b', 'dup-c', 'dup-a']) idx.add(id, x);
          const hits = idx.search(x, 3);
          check(
            hits.map((h) => h.id).join() === 'dup-a,dup-b,dup-c',
            `${metric}: three identical vectors come back as ${JSON.stringify(hits.map((h) => h.id))}, expected dup-a, dup-b, dup-c`,
          );
          check(hits.every((h) => h.distance === hits[0]?.distance), `${metric}: identical vectors got different distances`);
        }
      },
    },
    {
      name: 'search applies the filter',
      async run() {
        const data = new ClusteredData('filter', 16, 8);
        const items = data.sample(300).map((vector, i) => ({ id: `v${i}`, vector }));
        const byId = vectorsById(items);
        const idx = await make({ dimension: 16 });
        idx.addBatch(items);
        const allowed = (id: string): boolean => Number(id.slice(1)) % 3 === 0;
        let calls = 0;
        const filter = (id: string): boolean => {
          calls++;
          if (typeof id !== 'string' || !byId.has(id)) throw new Error(`filter was called with ${String(id)}, not a live id`);
          return allowed(id);
        };
        let sum = 0;
        const queries = data.sample(20);
        for (let q = 0; q < queries.length; q++) {
          const query = queries[q] as Float32Array;
          const hits = idx.search(query, 10, { filter });
          check(hits.every((h) => allowed(h.id)), `query ${q}: the filter was ignored: ${hits.map((h) => h.id).join()}`);
          sum += judge(hits, referenceSearch(items, query, 10, 'cosine', allowed), byId, query, 'cosine', `filtered query ${q}`);
        }
        check(calls > 0, 'the filter was never called');
        requireRecall(sum / queries.length, 'filtered recall@10');
        check(idx.search(queries[0] as Float32Array, 10, { filter: () => false }).length === 0, 'a filter rejecting everything returned hits');
        if (approximate === undefined) {
          const one = idx.search(queries[0] as Float32Array, 10, { filter: (id) => id === 'v7' });
          check(one.length === 1 && one[0]?.id === 'v7', `a filter admitting only v7 returned ${JSON.stringify(one.map((h) => h.id))}`);
        }
      },
    },
    {
      name: 'k larger than size returns every vector',
      async run() {
        const rng = new SeededRng('bigk');
        const idx = await make({ dimension: 8, metric: 'l2' });
        check(idx.search(gaussianVector(rng, 8), 3).length === 0, 'an empty index returned hits');
        const items = Array.from({ length: 5 }, (_, i) => ({ id: `p${i}`, vector: gaussianVector(rng, 8) }));
        idx.addBatch(items);
        const q = gaussianVector(rng, 8);
        const hits = idx.search(q, 100);
        check(hits.length === 5, `k = 100 over 5 vectors returned ${hits.length}`);
        checkOrdered(hits, 'k > size');
        checkHitValues(hits, q, vectorsById(items), 'l2', rel, 'k > size');
      },
    },
    {
      name: 'grows past the initial capacity',
      async run() {
        const rng = new SeededRng('grow');
        const idx = await make({ dimension: 16, metric: 'l2', capacity: 8 });
        const items = Array.from({ length: 40 }, (_, i) => ({ id: `g${i}`, vector: gaussianVector(rng, 16) }));
        for (const it of items.slice(0, 30)) {
          idx.add(it.id, it.vector);
          check(idx.capacity >= idx.size, `capacity ${idx.capacity} < size ${idx.size}`);
        }
        idx.addBatch(items.slice(30));
        check(idx.size === 40 && idx.capacity >= 40, `size ${idx.size}, capacity ${idx.capacity} after 5× the initial capacity`);
        const found = items.filter((it) => idx.search(it.vector, 1)[0]?.id === it.id).length;
        if (approximate === undefined) check(found === 40, `only ${found} of 40 vectors find themselves`);
        else requireRecall(found / 40, 'self-recall after growth');
      },
    },
    {
      name: 'removed ids are never returned',
      async run() {
        const data = new ClusteredData('removal', 16, 6);
        const items = data.sample(300).map((vector, i) => ({ id: `v${i}`, vector }));
        const idx = await make({ dimension: 16 });
        idx.addBatch(items);
        const removed = new Set<string>();
        for (let i = 0; i < 300; i += 3) {
          idx.remove(`v${i}`);
          removed.add(`v${i}`);
        }
        check(idx.size === 200, `size ${idx.size} after removing 100 of 300`);
        check(sameSet(idx.ids(), items.filter((it) => !removed.has(it.id)).map((it) => it.id)), 'ids() still lists removed ids');
        for (let i = 0; i < 300; i += 3) {
          const query = (items[i] as IndexItem).vector;
          for (const k of [1, 10, 300]) {
            const hits = idx.search(query, k);
            const bad = hits.find((h) => removed.has(h.id));
            check(bad === undefined, `search(k = ${k}) returned removed id ${bad?.id}`);
            if (approximate === undefined) check(hits.length === Math.min(k, 200), `k = ${k}: ${hits.length} hits`);
          }
        }
        // Re-adding a removed id with a new vector makes it findable again (slots may be reused).
        const fresh = data.sample(30);
        let found = 0;
        for (let j = 0; j < 30; j++) {
          idx.add(`v${j * 3}`, fresh[j] as Float32Array);
          removed.delete(`v${j * 3}`);
        }
        for (let j = 0; j < 30; j++) if (idx.search(fresh[j] as Float32Array, 1)[0]?.id === `v${j * 3}`) found++;
        check(sizeOf(idx) === 230, `size ${idx.size} after re-adding 30`);
        if (approximate === undefined) check(found === 30, `only ${found} of 30 re-added vectors find themselves`);
        else requireRecall(found / 30, 're-added self-recall');
      },
    },
    {
      name: 'save then load gives identical search results',
      async run() {
        for (const metric of METRICS) {
          const data = new ClusteredData(`save-${metric}`, 16, 6);
          const items = data.sample(300).map((vector, i) => ({ id: `id-${i}-é✓`, vector }));
          const idx = await make({ dimension: 16, metric });
          idx.addBatch(items);
          for (let i = 0; i < 300; i += 7) idx.remove((items[i] as IndexItem).id);
          const bytes = await idx.save();
          check(bytes instanceof Uint8Array && bytes.length > 0, `${metric}: save() did not return bytes`);
          const copy = await make({ dimension: 16, metric });
          copy.add('stale', data.sample(1)[0] as Float32Array);
          await copy.load(bytes);
          check(!copy.has('stale'), `${metric}: load() kept the previous contents`);
          check(copy.size === idx.size && sameSet(copy.ids(), idx.ids()), `${metric}: loaded ids differ`);
          for (const query of data.sample(20)) {
            const want = idx.search(query, 10);
            const got = copy.search(query, 10);
            check(
              JSON.stringify(got) === JSON.stringify(want),
              `${metric}: after load, search gives ${JSON.stringify(got.slice(0, 3))}… instead of ${JSON.stringify(want.slice(0, 3))}…`,
            );
          }
          // The loaded index stays fully usable.
          const extra = data.sample(1)[0] as Float32Array;
          copy.add('extra', extra);
          check(copy.has('extra') && copy.search(extra, copy.size).some((h) => h.id === 'extra'), `${metric}: add after load failed`);
          copy.remove('extra');
          copy.remove((items[1] as IndexItem).id);
          check(copy.size === idx.size - 1, `${metric}: remove after load failed`);
          // The original is untouched by saving, and an empty index round-trips.
          check(idx.size === 300 - 43, `${metric}: save() changed the size to ${idx.size}`);
          const empty = await make({ dimension: 16, metric });
          await empty.load(await (await make({ dimension: 16, metric })).save());
          check(empty.size === 0, `${metric}: an empty index loaded with size ${empty.size}`);
        }
      },
    },
    {
      name: 'load rejects truncated bytes (CORRUPT_DATA)',
      async run() {
        const { idx, bytes, probe, before } = await savedSample(make);
        const lengths = new Set([0, 1, 3, 4, 7, 8, 12, 16, 24, 32, bytes.length >> 2, bytes.length >> 1, bytes.length - 5, bytes.length - 4, bytes.length - 1]);
        for (const n of lengths) {
          if (n < 0 || n >= bytes.length) continue;
          await expectRejects(() => idx.load(bytes.slice(0, n)), ['CORRUPT_DATA'], `load of the first ${n} of ${bytes.length} bytes`);
        }
        const garbage = new Uint8Array(bytes.length);
        const rng = new SeededRng('garbage');
        for (let i = 0; i < garbage.length; i++) garbage[i] = rng.int(256);
        await expectRejects(() => idx.load(garbage), ['CORRUPT_DATA'], 'load of random bytes');
        await expectRejects(() => idx.load(new Uint8Array([...bytes, 0, 0, 0, 0])), ['CORRUPT_DATA'], 'load with 4 trailing bytes');
        check(JSON.stringify(idx.search(probe, 5)) === before, 'a failed load changed the index');
      },
    },
    {
      name: 'load rejects flipped bytes (CORRUPT_DATA)',
      async run() {
        const { idx, bytes, probe, before } = await savedSample(make);
        const positions = new Set<number>();
        for (let i = 0; i < Math.min(32, bytes.length); i++) positions.add(i);
        for (let i = 0; i < 48; i++) positions.add(Math.floor((i * bytes.length) / 48));
        for (let i = 1; i <= 4; i++) positions.add(bytes.length - i);
        for (const pos of positions) {
          const bad = bytes.slice();
          bad[pos] = (bad[pos] as number) ^ 0x5a;
          await expectRejects(() => idx.load(bad), ['CORRUPT_DATA', 'UNSUPPORTED_VERSION'], `load with byte ${pos} of ${bytes.length} flipped`);
        }
        check(JSON.stringify(idx.search(probe, 5)) === before, 'a failed load changed the index');
      },
    },
    {
      name: 'load rejects another dimension or metric',
      async run() {
        const { bytes } = await savedSample(make);
        const wider = await make({ dimension: 9, metric: 'cosine' });
        await expectRejects(() => wider.load(bytes), ['DIMENSION_MISMATCH'], 'load of a dimension-8 index into dimension 9');
        const l2 = await make({ dimension: 8, metric: 'l2' });
        await expectRejects(() => l2.load(bytes), ['INVALID_ARGUMENT'], 'load of a cosine index into an l2 index');
        check(wider.size === 0 && l2.size === 0, 'a rejected load added vectors');
      },
    },
    {
      name: 'copies vectors: caller buffers may be reused',
      async run() {
        const rng = new SeededRng('copy');
        for (const metric of METRICS) {
          const idx = await make({ dimension: 8, metric });
          const buf = gaussianVector(rng, 8);
          const original = buf.slice();
          idx.add('a', buf);
          check(buf.every((v, i) => v === original[i]), `${metric}: add() modified the caller's vector`);
          buf.set(gaussianVector(rng, 8));
          const batch = [{ id: 'b', vector: gaussianVector(rng, 8) }];
          const batchOriginal = (batch[0] as IndexItem).vector.slice();
          idx.addBatch(batch);
          (batch[0] as IndexItem).vector.fill(3);
          const query = original.slice();
          const hits = idx.search(query, 2);
          check(query.every((v, i) => v === original[i]), `${metric}: search() modified the query`);
          checkHitValues(hits, query, new Map([['a', original], ['b', batchOriginal]]), metric, rel, `${metric}: after mutating the caller's buffers`);
        }
      },
    },
  ];

  const skip = options.skip ?? {};
  const names = new Set(cases.map((c) => c.name));
  for (const name of Object.keys(skip)) {
    if (!names.has(name)) throw new Error(`vectorIndexConformanceCases: no case named ${JSON.stringify(name)} to skip`);
  }
  return cases.map((c) => (skip[c.name] === undefined ? c : { ...c, skip: skip[c.name] }));
}

/** A small saved cosine index (20 × 8) plus a probe query and its results before any load. */
async function savedSample(make: (o: VectorIndexOptions) => Promise<VectorIndex>) {
  const rng = new SeededRng('sample');
  const idx = await make({ dimension: 8, metric: 'cosine' });
  for (let i = 0; i < 20; i++) idx.add(`s${i}`, gaussianVector(rng, 8));
  const bytes = await idx.save();
  const probe = gaussianVector(rng, 8);
  return { idx, bytes, probe, before: JSON.stringify(idx.search(probe, 5)) };
}

/** Reads size through a call so TypeScript does not narrow it across mutations. */
function sizeOf(index: VectorIndex): number {
  return index.size;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return set.size === a.length && b.every((x) => set.has(x));
}
