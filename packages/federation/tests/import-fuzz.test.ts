import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isMicroLoraError } from '@microlora/core';
import { decompress } from '@microlora/quantization';
import { ReplayGuard, TrustedKeys, canShare, deltaFrobeniusNorm, generateSigningKey, importBundle } from '@microlora/federation';
import type { ImportResult, SigningKey } from '@microlora/federation';
import { DIM, IN, NOW, OUT, limits, makePattern } from './helpers/fixtures.js';
import { fixCrc, forgeBundle, forgeCanonical, metricsArray, rawFromPattern, resign, signCanonical } from './helpers/forge.js';
import type { RawRecord } from './helpers/forge.js';

let origin: SigningKey;
let exporter: SigningKey;
let trusted: TrustedKeys;
let honest: Uint8Array;
let honestCanonical: Uint8Array;

const LIMITS = limits({ maxNorm: 50 });

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'set32'; at: number; value: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'overwrite'; at: number; bytes: Uint8Array }
  | { kind: 'truncate'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant('set32' as const),
    at: fc.nat(),
    value: fc.oneof(fc.constantFrom(0, 1, 2, 4, 0x7fffffff, 0xffffffff, 0x7ff80000), fc.nat()),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('overwrite' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);
const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 });

function mutate(input: Uint8Array, list: readonly Mutation[]): Uint8Array {
  let bytes = input.slice();
  for (const m of list) {
    const at = bytes.length === 0 ? 0 : m.at % bytes.length;
    switch (m.kind) {
      case 'flip':
        if (bytes.length > 0) bytes[at] = (bytes[at] as number) ^ (1 << m.bit);
        break;
      case 'set':
        if (bytes.length > 0) bytes[at] = m.value;
        break;
      case 'set32':
        if (bytes.length >= 4) new DataView(bytes.buffer).setUint32(Math.min(at, bytes.length - 4), m.value, true);
        break;
      case 'delete':
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + m.length)]);
        break;
      case 'insert':
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...m.bytes, ...bytes.subarray(at)]);
        break;
      case 'overwrite':
        for (let i = 0; i < m.bytes.length && at + i < bytes.length; i++) bytes[at + i] = m.bytes[i] as number;
        break;
      case 'truncate':
        bytes = bytes.slice(0, at);
        break;
    }
  }
  return bytes;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function options() {
  return { trustedKeys: trusted, limits: LIMITS, seen: new ReplayGuard(), now: NOW };
}

/** Outcomes seen (error code or 'accepted'), to show the fuzzing reaches deep checks. */
let outcomes = new Map<string, number>();

function count(outcome: string): void {
  outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
}

/** Imports and returns the result, or undefined for a MicroLoraError; anything else fails the property. */
async function importOrReject(bytes: Uint8Array): Promise<ImportResult | undefined> {
  try {
    const result = await importBundle(bytes, options());
    count('accepted');
    return result;
  } catch (err) {
    if (!isMicroLoraError(err)) throw new Error(`importBundle threw a non-MicroLoraError: ${String(err)}`, { cause: err });
    count(err.code);
    return undefined;
  }
}

/** What every accepted bundle must satisfy, whoever signed it. */
function assertSane(result: ImportResult): void {
  for (const p of result.patterns) {
    expect(p.embedding.length).toBe(DIM);
    expect(p.embedding.every(Number.isFinite)).toBe(true);
    expect(p.lora.rank).toBeGreaterThanOrEqual(1);
    expect(p.lora.rank).toBeLessThanOrEqual(4);
    expect([p.lora.inFeatures, p.lora.outFeatures]).toStrictEqual([IN, OUT]);
    expect(deltaFrobeniusNorm(decompress(p.lora))).toBeLessThanOrEqual(LIMITS.maxNorm);
    expect(canShare(p, result.audience.tier, result.audience)).toBe(true);
    expect(Object.values(p.metrics).every(Number.isFinite)).toBe(true);
    expect(p.timestepRange[0]).toBeGreaterThanOrEqual(0);
    expect(p.timestepRange[1]).toBeLessThanOrEqual(1);
  }
}

beforeAll(async () => {
  [origin, exporter] = await Promise.all([generateSigningKey(), generateSigningKey()]);
  trusted = await TrustedKeys.from([origin, exporter]);
  const pattern = makePattern({ id: 'fuzz', originKeyId: origin.keyId, policy: { groupId: 'g', tenantId: 't' } });
  honestCanonical = forgeCanonical(rawFromPattern(pattern));
  const record: RawRecord = { canonical: honestCanonical, metrics: metricsArray(pattern.metrics), signature: await signCanonical(honestCanonical, origin) };
  honest = await forgeBundle({ version: 1, exporterKeyId: exporter.keyId, createdAt: NOW, tierCode: 3, records: [record] }, exporter.privateKey);
});

describe('importBundle under random mutation', () => {
  it('accepts the unmutated bundle (the properties below start from valid input)', async () => {
    expect((await importOrReject(honest))?.patterns).toHaveLength(1);
  });

  it('rejects every changed bundle with a MicroLoraError (3000 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(mutations, async (list) => {
        const bytes = mutate(honest, list);
        fc.pre(!same(bytes, honest));
        expect(await importOrReject(bytes)).toBeUndefined();
      }),
      { numRuns: 3000 },
    );
  });

  it('rejects changed bundles even when the attacker fixes the checksum (1500 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(mutations, async (list) => {
        const mutated = mutate(honest, list);
        fc.pre(mutated.length >= 10);
        const bytes = fixCrc(mutated);
        fc.pre(!same(bytes, honest));
        expect(await importOrReject(bytes)).toBeUndefined();
      }),
      { numRuns: 1500 },
    );
  });

  it('a compromised trusted exporter re-signing mutated bundles gets only MicroLoraErrors or sane patterns (800 runs)', async () => {
    outcomes = new Map();
    await fc.assert(
      fc.asyncProperty(mutations, async (list) => {
        const mutated = mutate(honest, list);
        fc.pre(mutated.length >= 80);
        const result = await importOrReject(await resign(mutated, exporter.privateKey));
        if (result !== undefined) assertSane(result);
      }),
      { numRuns: 800 },
    );
    // Not vacuous: parsing gets past the signature into several distinct checks.
    expect(outcomes.size).toBeGreaterThanOrEqual(3);
  });

  it('a compromised origin and exporter signing mutated pattern bytes get only MicroLoraErrors or sane patterns (800 runs)', async () => {
    outcomes = new Map();
    await fc.assert(
      fc.asyncProperty(mutations, fc.boolean(), async (list, fixInnerCrc) => {
        let canonical = mutate(honestCanonical, list);
        if (fixInnerCrc && canonical.length >= 10) canonical = fixCrc(canonical);
        const record: RawRecord = { canonical, metrics: metricsArray(makePattern({ id: 'm' }).metrics), signature: await signCanonical(canonical, origin) };
        const bytes = await forgeBundle({ version: 1, exporterKeyId: exporter.keyId, createdAt: NOW, tierCode: 3, records: [record] }, exporter.privateKey);
        const result = await importOrReject(bytes);
        if (result !== undefined) assertSane(result);
      }),
      { numRuns: 800 },
    );
    // Not vacuous: content checks (dimension, rank, finiteness, range) are reached.
    expect(outcomes.size).toBeGreaterThanOrEqual(3);
  });
});
