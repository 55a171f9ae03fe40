import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isMicroLoraError } from '@microlora/core';
import type { MicroLoraErrorCode } from '@microlora/core';
import { ByteWriter, FLAT_FORMAT, createFlatIndex, crc32 } from '@microlora/vector-index';
import type { Metric } from '@microlora/vector-index';

const metricArb = fc.constantFrom<Metric>('cosine', 'inner-product', 'l2');

/** A random flat index (dimension, metric, unique ids incl. non-ASCII, vectors) and its saved bytes. */
const savedIndexArb = fc
  .record({
    dimension: fc.integer({ min: 1, max: 12 }),
    metric: metricArb,
    ids: fc.uniqueArray(fc.string({ unit: 'binary', maxLength: 12 }), { maxLength: 12 }),
    seed: fc.integer(),
  })
  .map(({ dimension, metric, ids, seed }) => {
    const index = createFlatIndex({ dimension, metric, capacity: 1 });
    let s = seed;
    for (const id of ids) {
      const v = new Float32Array(dimension);
      for (let i = 0; i < dimension; i++) {
        s = (Math.imul(s, 1103515245) + 12345) | 0;
        v[i] = ((s >>> 8) / 0x800000 - 1) * 100;
      }
      v[0] = (v[0] as number) + 1; // never the zero vector
      index.add(id, v);
    }
    return { index, dimension, metric, ids };
  });

async function codeOf(promise: Promise<unknown>): Promise<MicroLoraErrorCode | 'ok' | string> {
  try {
    await promise;
    return 'ok';
  } catch (err) {
    if (isMicroLoraError(err)) return err.code;
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
}

describe('flat index codec', () => {
  it('crc32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('round-trips ids and vectors bit for bit', async () => {
    await fc.assert(
      fc.asyncProperty(savedIndexArb, async ({ index, dimension, metric, ids }) => {
        const bytes = await index.save();
        const copy = createFlatIndex({ dimension, metric });
        await copy.load(bytes);
        expect(copy.ids().sort()).toEqual(ids.slice().sort());
        // Saving the loaded index reproduces the same bytes: nothing was lost or reordered.
        expect(await copy.save()).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('rejects every truncation with CORRUPT_DATA', async () => {
    await fc.assert(
      fc.asyncProperty(savedIndexArb, fc.nat(), async ({ index, dimension, metric }, cut) => {
        const bytes = await index.save();
        const n = cut % bytes.length;
        const target = createFlatIndex({ dimension, metric });
        expect(await codeOf(target.load(bytes.subarray(0, n)))).toBe('CORRUPT_DATA');
      }),
      { numRuns: 1500 },
    );
  });

  it('rejects any changed byte with CORRUPT_DATA (UNSUPPORTED_VERSION when it hits the version)', async () => {
    await fc.assert(
      fc.asyncProperty(
        savedIndexArb,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async ({ index, dimension, metric }, at, xor) => {
          const bytes = (await index.save()).slice();
          const pos = at % bytes.length;
          bytes[pos] = (bytes[pos] as number) ^ xor;
          const code = await codeOf(createFlatIndex({ dimension, metric }).load(bytes));
          expect(code).toBe(pos === 4 || pos === 5 ? 'UNSUPPORTED_VERSION' : 'CORRUPT_DATA');
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('rejects arbitrary bytes, with or without a valid header, as CORRUPT_DATA', async () => {
    const index = createFlatIndex({ dimension: 3 });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), fc.boolean(), async (body, withHeader) => {
        const bytes = withHeader ? new Uint8Array([0x4d, 0x4c, 0x56, 0x46, 1, 0, ...body]) : body;
        expect(await codeOf(index.load(bytes))).toBe('CORRUPT_DATA');
      }),
      { numRuns: 1000 },
    );
    expect(index.size).toBe(0);
  });

  describe('checksummed but malformed files', () => {
    /** Writes a flat-format header; `body` writes the rest; finish() appends a valid CRC. */
    function craft(body: (w: ByteWriter) => void, version = FLAT_FORMAT.version): Uint8Array {
      const w = new ByteWriter({ ...FLAT_FORMAT, version });
      body(w);
      return w.finish();
    }
    const header = (w: ByteWriter, dimension: number, count: number, metric = 0, reserved = 0): void => {
      w.u8(metric);
      w.u8(reserved);
      w.u8(0);
      w.u8(0);
      w.u32(dimension);
      w.u32(count);
    };
    const load = (bytes: Uint8Array, dimension = 2) => codeOf(createFlatIndex({ dimension }).load(bytes));

    it('a huge declared count fails before allocating', async () => {
      expect(await load(craft((w) => header(w, 2, 0xffffffff)))).toBe('CORRUPT_DATA');
      expect(await load(craft((w) => header(w, 65536, 0x10000)))).toBe('CORRUPT_DATA');
    });

    it('a huge id length fails before allocating', async () => {
      expect(await load(craft((w) => (header(w, 2, 1), w.u32(0xfffffff0))))).toBe('CORRUPT_DATA');
    });

    it('out-of-range fields', async () => {
      expect(await load(craft((w) => header(w, 0, 0)))).toBe('CORRUPT_DATA');
      expect(await load(craft((w) => header(w, 1 << 20, 0)))).toBe('CORRUPT_DATA');
      expect(await load(craft((w) => header(w, 2, 0, 7)))).toBe('CORRUPT_DATA');
      expect(await load(craft((w) => header(w, 2, 0, 0, 1)))).toBe('CORRUPT_DATA');
    });

    it('duplicate ids, invalid UTF-8, non-zero padding, NaN, trailing bytes', async () => {
      const vec = (w: ByteWriter, ...v: number[]) => w.f32s(new Float32Array(v));
      const ok = craft((w) => (header(w, 2, 1), w.string('a'), w.align(4), vec(w, 1, 0)));
      expect(await load(ok)).toBe('ok');
      expect(await load(craft((w) => (header(w, 2, 2), w.string('a'), w.string('a'), w.align(4), vec(w, 1, 0, 0, 1))))).toBe('CORRUPT_DATA');
      expect(await load(craft((w) => (header(w, 2, 1), w.u32(2), w.u8(0xc3), w.u8(0x28), w.align(4), vec(w, 1, 0))))).toBe('CORRUPT_DATA');
      expect(await load(craft((w) => (header(w, 2, 1), w.string('a'), w.u8(1), w.u8(0), w.u8(0), vec(w, 1, 0))))).toBe('CORRUPT_DATA');
      expect(await load(craft((w) => (header(w, 2, 1), w.string('a'), w.align(4), vec(w, Number.NaN, 0))))).toBe('CORRUPT_DATA');
      expect(await load(craft((w) => (header(w, 2, 1), w.string('a'), w.align(4), vec(w, 1, 0), w.u8(0))))).toBe('CORRUPT_DATA');
    });

    it('another format version is UNSUPPORTED_VERSION', async () => {
      expect(await load(craft((w) => header(w, 2, 0), 2))).toBe('UNSUPPORTED_VERSION');
    });

    it('a file of another dimension or metric is DIMENSION_MISMATCH / INVALID_ARGUMENT', async () => {
      const bytes = craft((w) => (header(w, 2, 1, 2), w.string('a'), w.align(4), w.f32s(new Float32Array([1, 0])))); // l2
      expect(await codeOf(createFlatIndex({ dimension: 3, metric: 'l2' }).load(bytes))).toBe('DIMENSION_MISMATCH');
      expect(await codeOf(createFlatIndex({ dimension: 2, metric: 'cosine' }).load(bytes))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(createFlatIndex({ dimension: 2, metric: 'l2' }).load(bytes))).toBe('ok');
    });

    it('rejects a non-Uint8Array argument', async () => {
      expect(await codeOf(createFlatIndex({ dimension: 2 }).load([1, 2, 3] as unknown as Uint8Array))).toBe('INVALID_ARGUMENT');
    });
  });
});
