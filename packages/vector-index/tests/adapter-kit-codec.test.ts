import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ByteWriter, isMicroLoraError, openContainer } from '@microlora/core';
import type { ContainerFormat } from '@microlora/core';
import type { Metric } from '@microlora/vector-index';
import {
  assertSnapshotFits,
  decodeHnswContainer,
  encodeHnswContainer,
  readIndexHeader,
  readLabelledIds,
  writeIndexHeader,
  writeLabelledIds,
} from '@microlora/vector-index/adapter-kit';
import type { HnswContainerLayout, HnswSnapshot } from '@microlora/vector-index/adapter-kit';

const FORMAT: ContainerFormat = { magic: 'MLTT', version: 1, what: 'test index' };
const WITH_CAPACITY: HnswContainerLayout = { format: FORMAT, storesCapacity: true };
const WITHOUT_CAPACITY: HnswContainerLayout = { format: FORMAT, storesCapacity: false };
const METRIC_CODE: Record<Metric, number> = { cosine: 0, 'inner-product': 1, l2: 2 };

const snapshotArb = fc
  .record({
    metric: fc.constantFrom<Metric>('cosine', 'inner-product', 'l2'),
    dimension: fc.integer({ min: 1, max: 65536 }),
    m: fc.integer({ min: 2, max: 4096 }),
    efConstruction: fc.integer({ min: 1, max: 1 << 20 }),
    ef: fc.integer({ min: 1, max: 1 << 20 }),
    seed: fc.nat({ max: 0xffff_ffff }),
    entries: fc.uniqueArray(fc.tuple(fc.string({ unit: 'binary', maxLength: 8 }), fc.nat({ max: 0xffff_ffff })), {
      maxLength: 10,
      selector: ([id]) => id,
    }),
    spare: fc.nat({ max: 5 }),
    graph: fc.uint8Array({ maxLength: 40 }),
  })
  .filter(({ entries }) => new Set(entries.map(([, label]) => label)).size === entries.length)
  .map(({ entries, spare, ...rest }): HnswSnapshot => ({
    ...rest,
    ids: entries.map(([id]) => id),
    labels: Uint32Array.from(entries, ([, label]) => label),
    capacity: Math.max(1, entries.length + spare),
  }));

/** The version-1 layout spelled out field by field, as the 0.1.0 hnswlib adapters wrote it. */
function referenceBytes(s: HnswSnapshot, storesCapacity: boolean): Uint8Array {
  const w = new ByteWriter(FORMAT);
  for (const b of [METRIC_CODE[s.metric], 0, 0, 0]) w.u8(b);
  for (const v of [s.dimension, s.m, s.efConstruction, s.ef, s.seed]) w.u32(v);
  if (storesCapacity) w.u32(s.capacity as number);
  w.u32(s.ids.length);
  s.ids.forEach((id, i) => {
    w.u32(s.labels[i] as number);
    w.string(id);
  });
  w.u32(s.graph.length);
  w.bytes(s.graph);
  return w.finish();
}

/** A checksummed container with these header fields, then `count` and the given (label, id) pairs and graph. */
function crafted(fields: { metric?: number; reserved?: number; numbers?: number[]; entries?: [number, string][]; count?: number }): Uint8Array {
  const w = new ByteWriter(FORMAT);
  for (const b of [fields.metric ?? 2, fields.reserved ?? 0, 0, 0]) w.u8(b);
  for (const v of fields.numbers ?? [4, 16, 100, 64, 100, 10]) w.u32(v); // dimension, m, efC, ef, seed, capacity
  const entries = fields.entries ?? [];
  w.u32(fields.count ?? entries.length);
  for (const [label, id] of entries) {
    w.u32(label);
    w.string(id);
  }
  w.u32(3);
  w.bytes(new Uint8Array([7, 8, 9]));
  return w.finish();
}

function errorOf(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (err) {
    return isMicroLoraError(err) ? `${err.code}: ${err.message}` : `${(err as Error).name}: ${(err as Error).message}`;
  }
}

describe('HNSW container', () => {
  it('round-trips every snapshot and writes the version-1 layout byte for byte', () => {
    fc.assert(
      fc.property(snapshotArb, fc.boolean(), (s, storesCapacity) => {
        const layout = storesCapacity ? WITH_CAPACITY : WITHOUT_CAPACITY;
        const bytes = encodeHnswContainer(layout, s);
        expect(bytes).toEqual(referenceBytes(s, storesCapacity));
        const { capacity, ...rest } = decodeHnswContainer(layout, bytes);
        const { capacity: savedCapacity, ...saved } = s;
        expect(rest).toEqual(saved);
        expect(capacity).toBe(storesCapacity ? savedCapacity : undefined);
      }),
      { numRuns: 400 },
    );
  });

  it('every truncation and every flipped bit is CORRUPT_DATA, never another error', () => {
    fc.assert(
      fc.property(snapshotArb, fc.nat(), fc.nat({ max: 7 }), (s, at, bit) => {
        const bytes = encodeHnswContainer(WITH_CAPACITY, s);
        const cut = at % bytes.length;
        expect(errorOf(() => decodeHnswContainer(WITH_CAPACITY, bytes.subarray(0, cut)))).toMatch(/^CORRUPT_DATA/);
        const flipped = bytes.slice();
        flipped[cut] = (flipped[cut] as number) ^ (1 << bit);
        expect(errorOf(() => decodeHnswContainer(WITH_CAPACITY, flipped))).toMatch(/^(CORRUPT_DATA|UNSUPPORTED_VERSION)/);
      }),
      { numRuns: 400 },
    );
  });

  it('rejects well-checksummed containers with bad fields, naming the defect', () => {
    const cases: [Uint8Array, string][] = [
      [crafted({ metric: 3 }), 'unknown metric code 3'],
      [crafted({ reserved: 1 }), 'reserved header bytes are not zero'],
      [crafted({ numbers: [0, 16, 100, 64, 100, 10] }), 'dimension 0 is out of range'],
      [crafted({ numbers: [65537, 16, 100, 64, 100, 10] }), 'dimension 65537 is out of range'],
      [crafted({ numbers: [4, 1, 100, 64, 100, 10] }), 'parameters m 1, efConstruction 100, ef 64 are out of range'],
      [crafted({ numbers: [4, 16, 100, 0, 100, 10] }), 'ef 0 are out of range'],
      [crafted({ numbers: [4, 16, 100, 64, 100, 0] }), 'capacity 0 is out of range'],
      [crafted({ numbers: [4, 16, 100, 64, 100, 1], entries: [[0, 'a'], [1, 'b']] }), '2 ids exceed the capacity 1'],
      [crafted({ entries: [[0, 'a'], [1, 'a']] }), 'id "a" appears twice'],
      [crafted({ entries: [[5, 'a'], [5, 'b']] }), 'label 5 appears twice'],
      // A count that would need gigabytes is refused from the byte length, before allocating.
      [crafted({ count: 0xffff_ffff }), `${0xffff_ffff} labelled ids needs`],
    ];
    for (const [bytes, reason] of cases) {
      expect(errorOf(() => decodeHnswContainer(WITH_CAPACITY, bytes))).toContain(`CORRUPT_DATA: test index`);
      expect(errorOf(() => decodeHnswContainer(WITH_CAPACITY, bytes))).toContain(reason);
    }
  });

  it('rejects another version, and a container of the other layout', () => {
    const s = fc.sample(snapshotArb, { numRuns: 1, seed: 7 })[0] as HnswSnapshot;
    const v2 = encodeHnswContainer({ format: { ...FORMAT, version: 2 }, storesCapacity: true }, s);
    expect(errorOf(() => decodeHnswContainer(WITH_CAPACITY, v2))).toMatch(/^UNSUPPORTED_VERSION/);
    // Read without the capacity, the capacity is taken for the count and everything after misreads.
    expect(errorOf(() => decodeHnswContainer(WITHOUT_CAPACITY, encodeHnswContainer(WITH_CAPACITY, s)))).toMatch(/^CORRUPT_DATA/);
  });

  it('a layout that stores the capacity needs one to encode', () => {
    const s = { ...(fc.sample(snapshotArb, { numRuns: 1, seed: 3 })[0] as HnswSnapshot) };
    delete s.capacity;
    expect(() => encodeHnswContainer(WITH_CAPACITY, s)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => encodeHnswContainer(WITHOUT_CAPACITY, s)).not.toThrow();
  });
});

describe('container sections', () => {
  it('the index header round-trips and is the 8 bytes the flat format also starts with', () => {
    for (const metric of ['cosine', 'inner-product', 'l2'] as const) {
      const w = new ByteWriter(FORMAT);
      writeIndexHeader(w, { metric, dimension: 300 });
      const bytes = w.finish();
      expect(Array.from(bytes.subarray(6, 14))).toEqual([METRIC_CODE[metric], 0, 0, 0, 44, 1, 0, 0]);
      const r = openContainer(bytes, FORMAT);
      expect(readIndexHeader(r, 'test index')).toEqual({ metric, dimension: 300 });
      r.expectEnd();
    }
  });

  it('labelled ids round-trip, including the empty table and non-ASCII ids', () => {
    const table = { ids: ['', 'é', '𝄞x'], labels: new Uint32Array([9, 0, 0xffff_ffff]) };
    for (const t of [table, { ids: [], labels: new Uint32Array(0) }]) {
      const w = new ByteWriter(FORMAT);
      writeLabelledIds(w, t);
      const r = openContainer(w.finish(), FORMAT);
      expect(readLabelledIds(r, 'test index')).toEqual(t);
      r.expectEnd();
    }
  });

  it('assertSnapshotFits names the mismatch: dimension first, then metric', () => {
    const target = { dimension: 8, metric: 'cosine' as Metric };
    expect(() => assertSnapshotFits('test index', { dimension: 9, metric: 'l2' }, target)).toThrow(
      expect.objectContaining({ code: 'DIMENSION_MISMATCH', message: expect.stringContaining('dimension 9') }),
    );
    expect(() => assertSnapshotFits('test index', { dimension: 8, metric: 'l2' }, target)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining("metric 'l2'") }),
    );
    expect(() => assertSnapshotFits('test index', target, target)).not.toThrow();
  });
});
