import { beforeAll, describe, expect, it } from 'vitest';
import { compress, encodeBinary } from '@microlora/quantization';
import { isMicroLoraError } from '@microlora/core';
import type { MicroLoraErrorCode } from '@microlora/core';
import { ReplayGuard, TrustedKeys, exportBundle, gaussianSigma, generateSigningKey, importBundle, signPattern } from '@microlora/federation';
import type { ImportOptions, SigningKey } from '@microlora/federation';
import { DIM, NOW, limits, makeLora, makePattern, makeWeights } from './helpers/fixtures.js';
import { fixCrc, forgeBundle, forgeCanonical, forgeRecord, metricsArray, rawFromPattern, signCanonical } from './helpers/forge.js';
import type { RawBundle, RawPattern, RawRecord } from './helpers/forge.js';

const DAY = 86_400_000;
let origin: SigningKey;
let exporter: SigningKey;
let stranger: SigningKey;
let trusted: TrustedKeys;
let honest: Uint8Array;
let honestRecords: RawRecord[];

const METRICS = metricsArray(makePattern({ id: 'm' }).metrics);

/** An honest pattern's raw fields, originated by `origin`, with changes. */
function raw(id: string, changes: Partial<RawPattern> = {}): RawPattern {
  return { ...rawFromPattern(makePattern({ id, originKeyId: origin.keyId, seed: id.length })), ...changes };
}

function record(p: RawPattern, signer = origin, metrics = METRICS): Promise<RawRecord> {
  return forgeRecord(p, signer, metrics);
}

function header(records: RawRecord[], changes: Partial<RawBundle> = {}): RawBundle {
  return { version: 1, exporterKeyId: exporter.keyId, createdAt: NOW, tierCode: 3, records, ...changes };
}

/** A bundle from the trusted exporter around one or more records. */
async function bundleOf(records: RawRecord[] | Promise<RawRecord>, changes: Partial<RawBundle> = {}): Promise<Uint8Array> {
  const list = Array.isArray(records) ? records : [await records];
  return forgeBundle(header(list, changes), exporter.privateKey);
}

/** Valid lora bytes with one edit, CRC fixed so only the edit is wrong. */
function editedLora(edit: (view: DataView) => void): Uint8Array {
  const bytes = encodeBinary(makeLora(3)).slice();
  edit(new DataView(bytes.buffer));
  return fixCrc(bytes);
}

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const out = bytes.slice();
  out[at] = (out[at] as number) ^ 0x01;
  return out;
}

interface HostileCase {
  name: string;
  code: MicroLoraErrorCode;
  build: () => Promise<Uint8Array>;
  options?: () => Partial<ImportOptions>;
  /** Runs against the guard before the hostile import (for replays). */
  before?: (options: ImportOptions) => Promise<void>;
}

const importHonest = async (options: ImportOptions): Promise<void> => {
  await importBundle(honest, options);
};

const cases: HostileCase[] = [
  // Structure: anything damaged is CORRUPT_DATA before any signature is looked at.
  { name: 'empty input', code: 'CORRUPT_DATA', build: async () => new Uint8Array(0) },
  { name: 'five random bytes', code: 'CORRUPT_DATA', build: async () => Uint8Array.of(1, 2, 3, 4, 5) },
  { name: 'another format (wrong magic)', code: 'CORRUPT_DATA', build: async () => fixCrc(Uint8Array.from([...honest.slice(0, 3), 0x58, ...honest.slice(4)])) },
  ...[0, 4, 5, 6, 20, 0.5, -70, -5, -1].map(
    (position): HostileCase => ({
      name: `one flipped bit at ${position}`,
      code: 'CORRUPT_DATA',
      build: async () => flip(honest, position < 0 ? honest.length + position : position < 1 ? Math.floor(position * honest.length) : position),
    }),
  ),
  ...[1, 5, 6, 9, 10, 11, 30, 0.5, -68, -64, -4, -1].map(
    (length): HostileCase => ({
      name: `truncated to ${length < 0 ? `length${length}` : length < 1 ? 'half' : length} bytes`,
      code: 'CORRUPT_DATA',
      build: async () => honest.slice(0, length < 0 ? honest.length + length : length < 1 ? Math.floor(length * honest.length) : length),
    }),
  ),
  { name: 'one trailing byte', code: 'CORRUPT_DATA', build: async () => Uint8Array.from([...honest, 0]) },
  { name: '100 bytes of trailing garbage', code: 'CORRUPT_DATA', build: async () => Uint8Array.from([...honest, ...new Uint8Array(100).fill(0xab)]) },
  { name: 'format version 2 (valid checksum)', code: 'UNSUPPORTED_VERSION', build: () => bundleOf(honestRecords, { version: 2 }) },
  { name: 'count larger than the records present', code: 'CORRUPT_DATA', build: () => bundleOf(honestRecords, { count: honestRecords.length + 1 }) },
  { name: 'unknown audience tier code 7', code: 'CORRUPT_DATA', build: () => bundleOf(honestRecords, { tierCode: 7 }) },
  // Limits, checked before parsing records.
  { name: 'oversized (one byte over maxBytes)', code: 'LIMIT_EXCEEDED', build: async () => honest, options: () => ({ limits: limits({ maxBytes: honest.length - 1 }) }) },
  { name: 'more patterns than maxPatterns', code: 'LIMIT_EXCEEDED', build: async () => honest, options: () => ({ limits: limits({ maxPatterns: 1 }) }) },
  { name: 'count 2^32 − 1', code: 'LIMIT_EXCEEDED', build: () => bundleOf(honestRecords, { count: 0xffffffff }) },
  // Signatures and keys.
  { name: 'bundle signed by an unknown key', code: 'BAD_SIGNATURE', build: () => forgeBundle(header(honestRecords, { exporterKeyId: stranger.keyId }), stranger.privateKey) },
  { name: 'wrong key: names the exporter, signed by another trusted key', code: 'BAD_SIGNATURE', build: () => forgeBundle(header(honestRecords), origin.privateKey) },
  { name: 'zeroed bundle signature (checksum fixed)', code: 'BAD_SIGNATURE', build: () => forgeBundle(header(honestRecords), null) },
  { name: 'pattern signed by an untrusted origin', code: 'BAD_SIGNATURE', build: () => bundleOf(record(raw('s', { originKeyId: stranger.keyId }), stranger)) },
  { name: 'pattern naming a trusted origin, signed by another key', code: 'BAD_SIGNATURE', build: () => bundleOf(record(raw('s'), stranger)) },
  {
    name: "another pattern's signature",
    code: 'BAD_SIGNATURE',
    build: async () => bundleOf([{ ...honestRecords[0]!, signature: honestRecords[1]!.signature }]),
  },
  {
    name: 'forged tier: group pattern re-labelled public after signing',
    code: 'BAD_SIGNATURE',
    build: async () => {
      const group = raw('g', { tierCode: 1, groupId: 'g1' });
      const signature = await signCanonical(forgeCanonical(group), origin);
      return bundleOf([{ canonical: forgeCanonical({ ...group, tierCode: 3 }), metrics: METRICS, signature }]);
    },
  },
  {
    name: 'weights swapped after signing',
    code: 'BAD_SIGNATURE',
    build: async () => {
      const p = raw('w');
      const signature = await signCanonical(forgeCanonical(p), origin);
      return bundleOf([{ canonical: forgeCanonical({ ...p, lora: encodeBinary(makeLora(77)) }), metrics: METRICS, signature }]);
    },
  },
  // Values, all validly signed by trusted keys.
  { name: 'NaN in the embedding', code: 'NON_FINITE', build: () => bundleOf(record(raw('e', { embedding: [1, Number.NaN, ...new Array(DIM - 2).fill(0)] }))) },
  { name: '+Infinity in the embedding', code: 'NON_FINITE', build: () => bundleOf(record(raw('e', { embedding: new Array(DIM).fill(Number.POSITIVE_INFINITY) }))) },
  { name: 'NaN weights (a NaN quantisation scale)', code: 'NON_FINITE', build: () => bundleOf(record(raw('n', { lora: editedLora((v) => v.setFloat32(40, Number.NaN, true)) }))) },
  { name: 'NaN alpha', code: 'NON_FINITE', build: () => bundleOf(record(raw('n', { lora: editedLora((v) => v.setFloat64(24, Number.NaN, true)) }))) },
  { name: 'NaN timestep', code: 'NON_FINITE', build: () => bundleOf(record(raw('t', { timestep: [Number.NaN, 1] }))) },
  { name: 'NaN creation time', code: 'NON_FINITE', build: () => bundleOf(record(raw('c', { createdAt: Number.NaN }))) },
  { name: 'NaN metric', code: 'NON_FINITE', build: () => bundleOf(record(raw('m'), origin, [Number.NaN, ...METRICS.slice(1)])) },
  { name: 'successRate 2', code: 'OUT_OF_RANGE', build: () => bundleOf(record(raw('m'), origin, [2, ...METRICS.slice(1)])) },
  { name: 'timestep range reversed', code: 'OUT_OF_RANGE', build: () => bundleOf(record(raw('t', { timestep: [0.8, 0.2] }))) },
  {
    name: '1e6-norm weights',
    code: 'LIMIT_EXCEEDED',
    build: () => bundleOf(record(raw('big', { lora: encodeBinary(compress(makeWeights(5, 2, 16, 12, 1000))) }))),
  },
  { name: 'embedding of the wrong dimension', code: 'DIMENSION_MISMATCH', build: () => bundleOf(record(raw('d', { embedding: new Array(DIM + 1).fill(0.5) }))) },
  { name: 'adapter of the wrong input size', code: 'DIMENSION_MISMATCH', build: () => bundleOf(record(raw('d', { lora: encodeBinary(makeLora(4, 2, 20, 12)) }))) },
  { name: 'rank 0', code: 'RANK_OUT_OF_RANGE', build: () => bundleOf(record(raw('r', { lora: editedLora((v) => v.setUint32(8, 0, true)) }))) },
  { name: 'rank 200', code: 'RANK_OUT_OF_RANGE', build: () => bundleOf(record(raw('r', { lora: encodeBinary(makeLora(4, 200)) }))) },
  { name: 'garbage adapter bytes', code: 'CORRUPT_DATA', build: () => bundleOf(record(raw('g', { lora: new Uint8Array(60).fill(7) }))) },
  // Encodings that would give one content two hashes.
  { name: 'consent byte 2 (non-canonical)', code: 'CORRUPT_DATA', build: () => bundleOf(record(raw('c', { consentByte: 2 }))) },
  { name: 'owner id with a UTF-8 BOM (non-canonical)', code: 'CORRUPT_DATA', build: () => bundleOf(record(raw('c', { ownerId: '\ufeffowner' }))) },
  { name: 'invalid UTF-8 id', code: 'CORRUPT_DATA', build: () => bundleOf(record(raw('x', { id: Uint8Array.of(0xff, 0xfe) }))) },
  { name: 'empty id', code: 'CORRUPT_DATA', build: () => bundleOf(record(raw('', {}))) },
  { name: 'pattern format version 2', code: 'UNSUPPORTED_VERSION', build: () => bundleOf(record(raw('v', { version: 2 }))) },
  // Sharing policy.
  { name: 'private pattern in a public bundle', code: 'POLICY_VIOLATION', build: () => bundleOf(record(raw('p', { tierCode: 0 }))) },
  { name: 'group pattern in a public bundle', code: 'POLICY_VIOLATION', build: () => bundleOf(record(raw('p', { tierCode: 1, groupId: 'g1' }))) },
  { name: 'public tier without consent', code: 'POLICY_VIOLATION', build: () => bundleOf(record(raw('p', { consentByte: 0 }))) },
  { name: 'tenant pattern sent to another tenant', code: 'POLICY_VIOLATION', build: () => bundleOf(record(raw('p', { tierCode: 2, tenantId: 't1' })), { tierCode: 2, tenant: 't2' }) },
  { name: 'bundle addressed to a private audience', code: 'POLICY_VIOLATION', build: () => bundleOf(honestRecords, { tierCode: 0 }) },
  {
    name: "group bundle for another group than the recipient's",
    code: 'POLICY_VIOLATION',
    build: () => bundleOf(honestRecords, { tierCode: 1, group: 'g2' }),
    options: () => ({ recipient: { group: 'g1' } }),
  },
  {
    name: 'DP bundle carrying a pattern the exporter did not noise',
    code: 'POLICY_VIOLATION',
    build: () => bundleOf(honestRecords, { dp: [0.5, 1e-5, 1, gaussianSigma(0.5, 1e-5, 1)] }),
  },
  { name: 'DP record with a wrong σ', code: 'CORRUPT_DATA', build: () => bundleOf(honestRecords, { dp: [0.5, 1e-5, 1, 0.001] }) },
  { name: 'DP record with ε = 2', code: 'CORRUPT_DATA', build: () => bundleOf(honestRecords, { dp: [2, 1e-5, 1, gaussianSigma(2, 1e-5, 1)] }) },
  // Time and replays.
  { name: 'expired (31 days old)', code: 'REPLAY', build: () => bundleOf(honestRecords, { createdAt: NOW - 31 * DAY }) },
  { name: 'created an hour in the future', code: 'OUT_OF_RANGE', build: () => bundleOf(honestRecords, { createdAt: NOW + 3_600_000 }) },
  { name: 'pattern created after its bundle', code: 'OUT_OF_RANGE', build: () => bundleOf(record(raw('f', { createdAt: NOW + 3_600_000 }))) },
  { name: 'the same pattern twice in one bundle', code: 'REPLAY', build: () => bundleOf([honestRecords[0]!, honestRecords[0]!]) },
  { name: 'replayed bundle', code: 'REPLAY', build: async () => honest, before: importHonest },
  { name: 'known pattern re-sent in a fresh bundle', code: 'REPLAY', build: () => bundleOf([honestRecords[1]!], { createdAt: NOW + 1 }), before: importHonest },
  {
    name: 'replay older than the bounded replay memory',
    code: 'REPLAY',
    build: () => bundleOf([honestRecords[0]!], { createdAt: NOW - 10 }),
    options: () => ({ limits: limits({ maxPatterns: 2 }), seen: new ReplayGuard({ capacity: 5 }) }),
    before: async (options) => {
      await importBundle(await bundleOf([honestRecords[0]!], { createdAt: NOW - 10 }), options);
      // Five new keys push the first bundle's three out of a five-key memory.
      await importBundle(await bundleOf([await record(raw('n1')), await record(raw('n22'))], { createdAt: NOW - 5 }), options);
    },
  },
];

beforeAll(async () => {
  [origin, exporter, stranger] = await Promise.all([generateSigningKey(), generateSigningKey(), generateSigningKey()]);
  trusted = await TrustedKeys.from([origin, exporter]);
  honestRecords = [await record(raw('h1')), await record(raw('h-two'))];
  honest = await bundleOf(honestRecords);
});

function optionsFor(c: HostileCase): ImportOptions {
  return { trustedKeys: trusted, limits: limits(), seen: new ReplayGuard(), now: NOW, ...c.options?.() };
}

describe('the forged honest bundle', () => {
  it('is accepted, so every hostile case below differs from valid input only by its defect', async () => {
    const result = await importBundle(honest, optionsFor({ name: '', code: 'CORRUPT_DATA', build: async () => honest }));
    expect(result.patterns.map((p) => p.id)).toStrictEqual(['h1', 'h-two']);
  });

  it('is byte-identical to what exportBundle writes for the same patterns (the documented layout is the real one)', async () => {
    const patterns = await Promise.all(['h1', 'h-two'].map((id) => signPattern(makePattern({ id, originKeyId: origin.keyId, seed: id.length }), origin)));
    const { bytes } = await exportBundle(patterns, { recipientTier: 'public', signingKey: exporter, now: NOW });
    expect(bytes).toStrictEqual(honest);
  });
});

describe('hostile bundles are rejected whole, with the right code', () => {
  it(`has at least 20 cases (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  it.each(cases.map((c) => [c.name, c.code, c] as const))('%s → %s', async (_name, code, c) => {
    const options = optionsFor(c);
    await c.before?.(options);
    const sizeBefore = options.seen.size;
    const bytes = await c.build();
    let error: unknown;
    try {
      await importBundle(bytes, options);
    } catch (err) {
      error = err;
    }
    expect(isMicroLoraError(error), `expected a MicroLoraError, got ${String(error)}`).toBe(true);
    expect((error as { code: string }).code, (error as Error).message).toBe(code);
    expect((error as Error).message).toMatch(/^bundle rejected: /);
    // A rejected bundle leaves no trace in the replay memory.
    expect(options.seen.size).toBe(sizeBefore);
  });
});

describe('importBundle arguments', () => {
  it('rejects a non-Uint8Array, missing trust or replay memory, and bad limits with INVALID_ARGUMENT', async () => {
    const base = optionsFor({ name: '', code: 'CORRUPT_DATA', build: async () => honest });
    await expect(importBundle('bytes' as unknown as Uint8Array, base)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(importBundle(honest, { ...base, trustedKeys: [] as unknown as TrustedKeys })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(importBundle(honest, { ...base, seen: new Set() as unknown as ReplayGuard })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(importBundle(honest, { ...base, limits: limits({ maxNorm: -1 }) })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(importBundle(honest, { ...base, seen: new ReplayGuard({ capacity: 10 }) })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
