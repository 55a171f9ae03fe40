import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FEATURES_LIMIT, RANK_LIMIT, crc32, isMicroLoraError } from '@microlora/core';
import type { CompressedLora } from '@microlora/core';
import {
  QUANT_SCHEMES,
  compress,
  compressedLoraProblem,
  decodeBinary,
  decodeJson,
  encodeBinary,
  encodeJson,
} from '@microlora/quantization';
import { randomLora } from './fixtures.js';

/** Fuzz cases per property; each decoder gets at least 20,000 in total. */
const RUNS = 10_000;
const counts = { binary: 0, json: 0 };

/** Valid small adapters of every scheme: the seeds that mutations start from. */
const pool: CompressedLora[] = (() => {
  const out: CompressedLora[] = [];
  let seed = 1;
  for (const scheme of QUANT_SCHEMES) {
    for (const [rank, n, m] of [
      [1, 1, 1],
      [1, 4, 8],
      [2, 8, 4],
      [3, 12, 24],
      [4, 16, 8],
    ] as const) {
      const options = scheme === 'grouped' ? { groupSize: Math.min(n, m) === 1 ? 1 : 4 } : {};
      out.push(compress(randomLora(seed++, rank, n, m, 10 ** ((seed % 7) - 3)), scheme, options));
    }
  }
  return out;
})();
const poolBinary = pool.map(encodeBinary);
const poolJson = pool.map(encodeJson);

/**
 * Runs a decoder: a result must be a valid CompressedLora that re-encodes to the
 * same thing; a failure must be a MicroLoraError with CORRUPT_DATA or UNSUPPORTED_VERSION.
 * Anything else (RangeError, TypeError, another code) propagates and fails the property.
 */
function checkDecoder<T>(decode: (input: T) => CompressedLora, reencode: (c: CompressedLora) => T, input: T, same: (a: T, b: T) => boolean): void {
  let c: CompressedLora;
  try {
    c = decode(input);
  } catch (err) {
    if (isMicroLoraError(err, 'CORRUPT_DATA') || isMicroLoraError(err, 'UNSUPPORTED_VERSION')) return;
    throw err;
  }
  const problem = compressedLoraProblem(c);
  if (problem !== undefined) throw new Error(`decoded an invalid CompressedLora: ${problem}`);
  const again = reencode(c);
  if (!same(again, reencode(decode(again)))) throw new Error('decoded adapter does not re-encode stably');
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
const checkBinary = (bytes: Uint8Array): void => {
  counts.binary++;
  checkDecoder(decodeBinary, encodeBinary, bytes, sameBytes);
};
const checkJson = (text: string): void => {
  counts.json++;
  checkDecoder(decodeJson, encodeJson, text, (a, b) => a === b);
};

function fixCrc(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 4) return bytes;
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
  return bytes;
}

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'insert'; at: number; value: number }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'truncate'; at: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = Array.from(bytes);
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % (out.length + (m.kind === 'insert' ? 1 : 0));
    if (m.kind === 'flip' && out.length > 0) out[at] = out[at]! ^ (1 << m.bit);
    else if (m.kind === 'set' && out.length > 0) out[at] = m.value;
    else if (m.kind === 'insert') out.splice(at, 0, m.value);
    else if (m.kind === 'delete') out.splice(at, m.count);
    else if (m.kind === 'truncate') out = out.slice(0, at);
  }
  return Uint8Array.from(out);
}

/** A header built from boundary values, a body of the declared length when small, and a valid CRC. */
const weighted = <T>(usual: fc.Arbitrary<T>, unusual: fc.Arbitrary<T>): fc.Arbitrary<T> =>
  fc.oneof({ arbitrary: usual, weight: 6 }, { arbitrary: unusual, weight: 1 });
const craftedBinaryArb = fc
  .record({
    version: weighted(fc.constant(1), fc.constantFrom(0, 2, 0xffff)),
    scheme: weighted(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 4, max: 255 })),
    reserved: weighted(fc.constant(0), fc.integer({ min: 1, max: 255 })),
    rank: weighted(fc.integer({ min: 1, max: 4 }), fc.constantFrom(0, RANK_LIMIT, RANK_LIMIT + 1, 0xffffffff)),
    inFeatures: weighted(fc.integer({ min: 1, max: 24 }), fc.constantFrom(0, FEATURES_LIMIT, FEATURES_LIMIT + 1, 0xffffffff)),
    outFeatures: weighted(fc.integer({ min: 1, max: 24 }), fc.constantFrom(0, FEATURES_LIMIT, FEATURES_LIMIT + 1, 0xffffffff)),
    groupSize: fc.oneof(fc.integer({ min: 0, max: 8 }), fc.constant(0xffffffff)),
    /** Replace groupSize by one that fits the scheme (0, or a common divisor), so parsing goes deeper. */
    fitGroupSize: weighted(fc.constant(true), fc.constant(false)),
    alpha: weighted(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.double()),
    layerMask: fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }),
    bodySlack: weighted(fc.constant(0), fc.constantFrom(-1, 1)),
    seed: fc.integer(),
    friendlyScales: weighted(fc.constant(true), fc.constant(false)),
  })
  .map((h) => {
    const code = ['per-tensor', 'per-row', 'asymmetric', 'grouped'][h.scheme];
    if (h.fitGroupSize) {
      let g = Math.max(1, Math.min(h.groupSize, 8));
      while (h.inFeatures % g !== 0 || h.outFeatures % g !== 0) g--;
      h.groupSize = code === 'grouped' ? g : 0;
    }
    const g = h.groupSize || 1;
    let scales = 0;
    if (code === 'per-tensor') scales = 2;
    else if (code === 'per-row' || code === 'asymmetric') scales = 2 * h.rank;
    else if (code === 'grouped') scales = Math.floor((h.rank * h.inFeatures) / g) + Math.floor((h.rank * h.outFeatures) / g);
    const declared = 40 + scales * (code === 'asymmetric' ? 6 : 4) + h.rank * (h.inFeatures + h.outFeatures) + 4;
    const length = Math.max(44, Math.min(declared, 4096) + h.bodySlack);
    const bytes = new Uint8Array(length);
    const view = new DataView(bytes.buffer);
    let x = h.seed | 0;
    for (let i = 40; i < length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) | 0;
      bytes[i] = x >>> 24;
    }
    if (h.friendlyScales) {
      // plausible scales and zero points so that some inputs decode and deeper checks run
      for (let i = 0; i < scales && 40 + 4 * i + 4 <= length - 4; i++) view.setFloat32(40 + 4 * i, 0.01 * (i + 1), true);
      if (code === 'asymmetric') {
        for (let i = 0; i < scales && 40 + 4 * scales + 2 * i + 2 <= length - 4; i++) view.setInt16(40 + 4 * scales + 2 * i, (i % 256) - 128, true);
      }
    }
    view.setUint32(0, 0x3851_4c4d, true);
    view.setUint16(4, h.version, true);
    view.setUint8(6, h.scheme);
    view.setUint8(7, h.reserved);
    view.setUint32(8, h.rank, true);
    view.setUint32(12, h.inFeatures, true);
    view.setUint32(16, h.outFeatures, true);
    view.setUint32(20, h.groupSize, true);
    view.setFloat64(24, h.alpha, true);
    view.setBigUint64(32, h.layerMask, true);
    return fixCrc(bytes);
  });

describe(`decodeBinary fuzz (${RUNS} cases per property)`, () => {
  it('random bytes, with and without a valid magic/version prefix and CRC', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 50 }), fc.uint8Array({ minLength: 44, maxLength: 200 })), fc.constantFrom('raw', 'prefixed', 'prefixed+crc'), (raw, mode) => {
        let bytes = raw;
        if (mode !== 'raw' && bytes.length >= 6) {
          bytes = bytes.slice();
          bytes.set([0x4d, 0x4c, 0x51, 0x38, 1, 0]);
          if (mode === 'prefixed+crc') fixCrc(bytes);
        }
        checkBinary(bytes);
      }),
      { numRuns: RUNS },
    );
  });

  it('mutated valid encodings (bit flips, byte sets, inserts, deletes, truncations), CRC repaired or not', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: poolBinary.length - 1 }),
        fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (index, mutations, repair) => {
          const bytes = mutate(poolBinary[index]!, mutations);
          checkBinary(repair ? fixCrc(bytes) : bytes);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('crafted headers with boundary fields and a valid CRC', () => {
    fc.assert(fc.property(craftedBinaryArb, checkBinary), { numRuns: RUNS });
  });
});

/** Paths into a valid JSON encoding where a mutation replaces or deletes a value. */
const JSON_PATHS: readonly (readonly (string | number)[])[] = [
  ['format'], ['version'], ['scheme'], ['rank'], ['inFeatures'], ['outFeatures'], ['groupSize'], ['alpha'], ['layerMask'],
  ['a'], ['b'], ['a', 'scales'], ['a', 'zeroPoints'], ['a', 'data'], ['b', 'scales'], ['b', 'zeroPoints'], ['b', 'data'],
  ['a', 'scales', 0], ['b', 'zeroPoints', 0], ['extra'], ['a', 'extra'],
];

const interestingValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(0, -1, 1, 1.5, 1e-50, 1e39, 'per-row', 'grouped', 2, 4, 8, '0x0', '', 'AAAA', null, [], {}),
);

function editJson(text: string, path: readonly (string | number)[], value: unknown, remove: boolean): string {
  const root = JSON.parse(text) as Record<string | number, unknown>;
  let node: Record<string | number, unknown> | undefined = root;
  for (const key of path.slice(0, -1)) {
    const next: unknown = node?.[key];
    node = typeof next === 'object' && next !== null ? (next as Record<string | number, unknown>) : undefined;
  }
  const last = path[path.length - 1]!;
  if (node !== undefined) {
    if (remove) delete node[last];
    else node[last] = value;
  }
  return JSON.stringify(root);
}

describe(`decodeJson fuzz (${RUNS} cases per property)`, () => {
  it('random JSON text and random strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json({ maxDepth: 4 }), fc.string({ maxLength: 80 })), checkJson),
      { numRuns: RUNS },
    );
  });

  it('valid encodings with fields replaced by random JSON values, deleted, or added', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: poolJson.length - 1 }),
        fc.array(fc.tuple(fc.constantFrom(...JSON_PATHS), interestingValue, fc.boolean()), { minLength: 1, maxLength: 3 }),
        (index, edits) => {
          let text = poolJson[index]!;
          for (const [path, value, remove] of edits) text = editJson(text, path, value, remove);
          checkJson(text);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('valid encodings with characters flipped, inserted, deleted or cut off', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: poolJson.length - 1 }),
        fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
        (index, mutations) => {
          const bytes = mutate(new TextEncoder().encode(poolJson[index]!), mutations);
          checkJson(new TextDecoder().decode(bytes));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('ran at least 20,000 cases against each decoder', () => {
    // vitest runs a file's tests in order, so the counters hold every case above
    expect(counts.binary).toBeGreaterThanOrEqual(3 * RUNS);
    expect(counts.json).toBeGreaterThanOrEqual(3 * RUNS);
  });
});
