import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, promises as fs, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HierarchicalNSW } from 'hnswlib-node';
import { SeededRng } from '@microlora/core';
import { ByteWriter } from '@microlora/vector-index';
import { hnswTunableConformanceCases, vectorIndexConformanceCases } from '@microlora/vector-index/conformance';
import { HNSW_NODE_FORMAT, createHnswIndex } from '@microlora/vector-index-hnswlib-node';
import type { HnswIndex } from '@microlora/vector-index-hnswlib-node';

describe('hnswlib-node conformance', () => {
  const cases = [
    ...vectorIndexConformanceCases((options) => createHnswIndex(options), { approximate: { minRecallAt10: 0.9 } }),
    ...hnswTunableConformanceCases((options) => createHnswIndex(options)),
  ];
  for (const c of cases) (c.skip === undefined ? it : it.skip)(c.name, () => c.run());
});

/** White-box access to the wrapped graph: the only way to see hnswlib's own ef and element count. */
const graphOf = (index: HnswIndex): HierarchicalNSW => (index as unknown as { graph: HierarchicalNSW }).graph;

const work = mkdtempSync(join(tmpdir(), 'microlora-hnsw-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function filled(n: number, dimension = 16, seed = 1): { index: HnswIndex; vectors: Float32Array[] } {
  const rng = new SeededRng(seed);
  const index = createHnswIndex({ dimension, metric: 'l2', capacity: n });
  const vectors = Array.from({ length: n }, () => rng.fillNormal(new Float32Array(dimension)));
  vectors.forEach((v, i) => index.add(`p${i}`, v));
  return { index, vectors };
}

describe('createHnswIndex (hnswlib-node)', () => {
  it('restores the configured ef after load (hnswlib resets it to 10)', async () => {
    const { index } = filled(50);
    index.ef = 77;
    const bytes = await index.save();
    const explicit = createHnswIndex({ dimension: 16, metric: 'l2', ef: 200 });
    await explicit.load(bytes);
    expect(explicit.ef).toBe(200);
    expect(graphOf(explicit).getEf()).toBe(200);
    const adopting = createHnswIndex({ dimension: 16, metric: 'l2' });
    await adopting.load(bytes);
    expect(adopting.ef).toBe(77);
    expect(graphOf(adopting).getEf()).toBe(77);
  });

  it('reuses the labels of removed points instead of growing', () => {
    const { index } = filled(10);
    const rng = new SeededRng(9);
    expect(index.capacity).toBe(10);
    for (let i = 0; i < 5; i++) index.remove(`p${i}`);
    const fresh = Array.from({ length: 5 }, () => rng.fillNormal(new Float32Array(16)));
    fresh.forEach((v, i) => index.add(`q${i}`, v));
    expect(index.capacity).toBe(10);
    expect(graphOf(index).getCurrentCount()).toBe(10);
    // The reused slots hold the new vectors, not the removed ones.
    fresh.forEach((v, i) => expect(index.search(v, 1)[0]).toMatchObject({ id: `q${i}`, distance: 0 }));
    expect(index.search(fresh[0]!, 10).map((h) => h.id).filter((id) => /^p[0-4]$/.test(id))).toEqual([]);
  });

  it('resizes the graph when full (doubling), in add and addBatch', () => {
    const { index } = filled(4);
    const rng = new SeededRng(3);
    index.add('x', rng.fillNormal(new Float32Array(16)));
    expect(index.capacity).toBe(8);
    index.addBatch(Array.from({ length: 20 }, (_, i) => ({ id: `b${i}`, vector: rng.fillNormal(new Float32Array(16)) })));
    expect(index.capacity).toBe(25);
    expect(index.size).toBe(25);
  });

  it('keeps free labels across save/load and reuses them after', async () => {
    const { index } = filled(12);
    for (let i = 0; i < 4; i++) index.remove(`p${i}`);
    const copy = createHnswIndex({ dimension: 16, metric: 'l2', capacity: 1 });
    await copy.load(await index.save());
    expect(copy.capacity).toBe(12);
    const rng = new SeededRng(4);
    for (let i = 0; i < 4; i++) copy.add(`n${i}`, rng.fillNormal(new Float32Array(16)));
    expect(copy.capacity).toBe(12);
    expect(graphOf(copy).getCurrentCount()).toBe(12);
    expect(copy.size).toBe(12);
  });

  it('saveToFile writes atomically and loadFromFile reads it back', async () => {
    const { index, vectors } = filled(30);
    const path = join(work, 'index.mlhn');
    await fs.writeFile(path, 'old contents');
    await index.saveToFile(path);
    expect(readdirSync(work).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(new Uint8Array(await fs.readFile(path))).toEqual(await index.save());
    const copy = createHnswIndex({ dimension: 16, metric: 'l2' });
    await copy.loadFromFile(path);
    expect(copy.search(vectors[3]!, 3)).toEqual(index.search(vectors[3]!, 3));
  });

  it('file errors are IO_ERROR and leave the target untouched', async () => {
    const { index } = filled(5);
    await expect(index.saveToFile(join(work, 'missing-dir', 'x.bin'))).rejects.toMatchObject({ code: 'IO_ERROR' });
    await expect(index.loadFromFile(join(work, 'nope.bin'))).rejects.toMatchObject({ code: 'IO_ERROR' });
    expect(index.size).toBe(5);
  });

  it('a checksummed container around a broken hnswlib graph is CORRUPT_DATA, not a crash', async () => {
    const w = new ByteWriter(HNSW_NODE_FORMAT);
    for (const b of [0, 0, 0, 0]) w.u8(b); // cosine, reserved
    for (const v of [16, 16, 100, 64, 100, 0]) w.u32(v); // dimension, m, efC, ef, seed, count
    w.u32(10);
    w.bytes(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    const index = createHnswIndex({ dimension: 16 });
    await expect(index.load(w.finish())).rejects.toMatchObject({
      code: 'CORRUPT_DATA',
      message: expect.stringContaining('hnswlib rejected the graph'),
    });
  });

  it('a labelled id whose label is missing from the graph is CORRUPT_DATA', async () => {
    const empty = await createHnswIndex({ dimension: 4 }).save();
    // Re-encode the empty index with one id pointing at label 5.
    const graphLen = new DataView(empty.buffer, empty.byteOffset).getUint32(34, true);
    const w = new ByteWriter(HNSW_NODE_FORMAT);
    for (const b of [0, 0, 0, 0]) w.u8(b);
    for (const v of [4, 16, 100, 64, 100, 1]) w.u32(v);
    w.u32(5);
    w.string('ghost');
    w.u32(graphLen);
    w.bytes(empty.subarray(38, 38 + graphLen));
    await expect(createHnswIndex({ dimension: 4 }).load(w.finish())).rejects.toMatchObject({
      code: 'CORRUPT_DATA',
      message: expect.stringContaining('label 5 is not in the graph'),
    });
  });

  it('an exception thrown by the filter propagates after the native search', () => {
    const { index, vectors } = filled(20);
    let calls = 0;
    expect(() =>
      index.search(vectors[0]!, 5, {
        filter: () => {
          calls++;
          throw new Error('filter failed');
        },
      }),
    ).toThrow('filter failed');
    expect(calls).toBe(1);
    expect(index.search(vectors[0]!, 1)[0]?.id).toBe('p0');
  });

  it('reports its kind', () => {
    expect(createHnswIndex({ dimension: 4 }).kind).toBe('hnswlib-node');
  });
});
