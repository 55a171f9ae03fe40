import { describe, expect, it } from 'vitest';
import { SeededRng } from '@microlora/core';
import { ByteWriter } from '@microlora/vector-index';
import { hnswTunableConformanceCases, vectorIndexConformanceCases } from '@microlora/vector-index/conformance';
import {
  HNSW_WASM_FORMAT,
  createHnswIndex,
  deletePersistedIndex,
  listPersistedIndexes,
  loadHnswlibWasm,
} from '@microlora/vector-index-hnswlib-wasm';
import type { HnswIndex } from '@microlora/vector-index-hnswlib-wasm';

describe('hnswlib-wasm conformance', () => {
  const cases = [
    ...vectorIndexConformanceCases((options) => createHnswIndex(options), { approximate: { minRecallAt10: 0.9 } }),
    ...hnswTunableConformanceCases((options) => createHnswIndex(options)),
  ];
  for (const c of cases) (c.skip === undefined ? it : it.skip)(c.name, () => c.run());
});

interface GraphProbe {
  getEfSearch(): number;
  getCurrentCount(): number;
}
/** White-box access to the wrapped graph: the only way to see hnswlib's own ef and element count. */
const graphOf = (index: HnswIndex): GraphProbe => (index as unknown as { graph: GraphProbe }).graph;

async function filled(n: number, dimension = 16, seed = 1): Promise<{ index: HnswIndex; vectors: Float32Array[] }> {
  const rng = new SeededRng(seed);
  const index = await createHnswIndex({ dimension, metric: 'l2', capacity: n });
  const vectors = Array.from({ length: n }, () => rng.fillNormal(new Float32Array(dimension)));
  vectors.forEach((v, i) => index.add(`p${i}`, v));
  return { index, vectors };
}

/** Keys of hnswlib-wasm's own IDBFS store: temp files must not pile up there. */
async function idbfsKeys(): Promise<string[]> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open('/hnswlib-index');
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  try {
    return await new Promise<string[]>((resolve, reject) => {
      const request = db.transaction(['FILE_DATA']).objectStore('FILE_DATA').getAllKeys();
      request.onsuccess = () => resolve(request.result.map(String));
      request.onerror = () => reject(request.error);
    });
  } finally {
    db.close();
  }
}

describe('createHnswIndex (hnswlib-wasm)', () => {
  it('loads the library once', async () => {
    expect(await loadHnswlibWasm()).toBe(await loadHnswlibWasm());
  });

  it('save/load leave no temp files in the library file system', async () => {
    const { index } = await filled(20);
    const bytes = await index.save();
    await (await createHnswIndex({ dimension: 16, metric: 'l2' })).load(bytes);
    const module = await loadHnswlibWasm();
    expect((await idbfsKeys()).filter((k) => k.includes('microlora-'))).toEqual([]);
    expect(module.EmscriptenFileSystemManager.checkFileExists('anything.bin')).toBe(false);
  });

  it('a save() racing with add/remove stays self-consistent', async () => {
    const { index, vectors } = await filled(20);
    const pending = index.save();
    index.add('late', vectors[0]!);
    index.remove('p1');
    const copy = await createHnswIndex({ dimension: 16, metric: 'l2' });
    await copy.load(await pending);
    expect(copy.ids().sort()).toEqual(index.ids().sort());
  });

  it('restores the configured ef after load (readIndex resets it to 10)', async () => {
    const { index } = await filled(50);
    index.ef = 77;
    const bytes = await index.save();
    const explicit = await createHnswIndex({ dimension: 16, metric: 'l2', ef: 200 });
    await explicit.load(bytes);
    expect([explicit.ef, graphOf(explicit).getEfSearch()]).toEqual([200, 200]);
    const adopting = await createHnswIndex({ dimension: 16, metric: 'l2' });
    await adopting.load(bytes);
    expect([adopting.ef, graphOf(adopting).getEfSearch()]).toEqual([77, 77]);
  });

  it('reuses the slots of removed points instead of adding new ones, also after save/load', async () => {
    const { index } = await filled(10);
    const rng = new SeededRng(9);
    for (let i = 0; i < 5; i++) index.remove(`p${i}`);
    const fresh = Array.from({ length: 5 }, () => rng.fillNormal(new Float32Array(16)));
    fresh.forEach((v, i) => index.add(`q${i}`, v));
    // The element count (deleted included) stays 10; the one resize is the spare slot this build's addPoint needs.
    expect([graphOf(index).getCurrentCount(), index.capacity]).toEqual([10, 20]);
    fresh.forEach((v, i) => expect(index.search(v, 1)[0]).toMatchObject({ id: `q${i}`, distance: 0 }));
    for (let i = 5; i < 8; i++) index.remove(`p${i}`);
    const copy = await createHnswIndex({ dimension: 16, metric: 'l2', capacity: 1 });
    await copy.load(await index.save());
    for (let i = 0; i < 3; i++) copy.add(`r${i}`, rng.fillNormal(new Float32Array(16)));
    expect([graphOf(copy).getCurrentCount(), copy.capacity, copy.size]).toEqual([10, 20, 10]);
  });

  it('resizes the graph when full (doubling), in add and addBatch', async () => {
    const { index } = await filled(4);
    const rng = new SeededRng(3);
    index.add('x', rng.fillNormal(new Float32Array(16)));
    expect(index.capacity).toBe(8);
    index.addBatch(Array.from({ length: 20 }, (_, i) => ({ id: `b${i}`, vector: rng.fillNormal(new Float32Array(16)) })));
    expect([index.capacity, index.size]).toEqual([25, 25]);
  });

  it('persist/restore round-trips through IndexedDB', async () => {
    const { index, vectors } = await filled(40);
    index.remove('p3');
    await index.persist('conformance/persist');
    expect(await listPersistedIndexes()).toContain('conformance/persist');
    const restored = await createHnswIndex({ dimension: 16, metric: 'l2' });
    await restored.restore('conformance/persist');
    expect(restored.ids().sort()).toEqual(index.ids().sort());
    expect(restored.search(vectors[5]!, 5)).toEqual(index.search(vectors[5]!, 5));
    await deletePersistedIndex('conformance/persist');
    await expect(restored.restore('conformance/persist')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(restored.persist('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(restored.size).toBe(39);
  });

  it('a checksummed container around a broken graph is CORRUPT_DATA and changes nothing', async () => {
    const { index, vectors } = await filled(5);
    const w = new ByteWriter(HNSW_WASM_FORMAT);
    for (const b of [2, 0, 0, 0]) w.u8(b); // l2, reserved
    for (const v of [16, 16, 100, 64, 100, 8, 0]) w.u32(v); // dimension, m, efC, ef, seed, capacity, count
    w.u32(10);
    w.bytes(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    await expect(index.load(w.finish())).rejects.toMatchObject({
      code: 'CORRUPT_DATA',
      message: expect.stringContaining('hnswlib rejected the graph'),
    });
    expect(index.search(vectors[2]!, 1)[0]?.id).toBe('p2');
  });

  it('an exception thrown by the filter propagates and the index stays usable', async () => {
    const { index, vectors } = await filled(20);
    expect(() =>
      index.search(vectors[0]!, 5, {
        filter: () => {
          throw new Error('filter failed');
        },
      }),
    ).toThrow('filter failed');
    expect(index.search(vectors[0]!, 1)[0]?.id).toBe('p0');
  });

  it('dispose() frees the graph and later use is an error', async () => {
    const { index, vectors } = await filled(3);
    index.dispose();
    index.dispose();
    expect(() => index.search(vectors[0]!, 1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('rejects bad options (the HNSW ones are covered by the conformance cases) and reports its kind', async () => {
    await expect(createHnswIndex({ dimension: 0 })).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
    expect((await createHnswIndex({ dimension: 4 })).kind).toBe('hnswlib-wasm');
  });
});
