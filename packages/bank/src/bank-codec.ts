import {
  FEATURES_LIMIT,
  SHARING_TIERS,
  isMicroLoraError,
  type PatternMetrics,
  type Provenance,
  type SharingPolicy,
} from '@microlora/core';
import { decodeBinary, encodeBinary } from '@microlora/quantization';
import { ByteWriter, corrupt, openContainer, type ByteReader, type ContainerFormat } from '@microlora/core';
import { metricCode, metricFromCode, type Metric } from '@microlora/vector-index';
import { resolveScoring, resolveSettings, type ResolvedBankSettings } from './options.js';
import { storePatternInput, type StoredPattern } from './pattern-input.js';

/**
 * Bank file, version 1, little-endian (strings are u32 byte length + UTF-8):
 *   "MLBK" u16 version
 *   settings: f64 rangeStart, f64 rangeEnd, u32 maxPatterns, u32 dimension,
 *     f64×3 scoring (normalised), f64 recencyHalfLifeMs, u32 oversample, f64 minSimilarity, u32 maxRank,
 *     u8 timestepPolicy (0 overlap, 1 contain), u8 metric, u16 0, u32 latencyWindow, str defaultOwnerId
 *   counters: f64 inserts, f64 retrievals, f64 evictions
 *   str indexKind, u32 patternCount, then per pattern (least recently used first):
 *     str id, f64×2 timestepRange, f64×8 metrics, f64 latencySamples, f64 denoisingSamples,
 *     u32 userCount + str×userCount,
 *     policy: u8 tier, u8 consent, u8 flags (1 groupId, 2 tenantId), str ownerId [, str groupId] [, str tenantId]
 *     provenance: str originKeyId, f64 createdAt, u32 parentCount + str×parentCount,
 *       u8 flags (1 contentHash, 2 signature) [, str contentHash] [, str signature]
 *     u32 loraLength + encodeBinary(lora), f32×dimension embedding
 *   u32 indexLength + the index's own save() bytes
 *   u32 CRC-32 of everything before it
 */
export const BANK_FORMAT: ContainerFormat = { magic: 'MLBK', version: 1, what: 'MicroLoRA bank' };

const METRIC_FIELDS = [
  'successRate',
  'feedbackCount',
  'usageCount',
  'avgLatencyMs',
  'denoisingQuality',
  'distinctUsers',
  'lastUsed',
  'createdAt',
] as const satisfies readonly (keyof PatternMetrics)[];

export interface BankFileContents {
  settings: ResolvedBankSettings;
  metric: Metric;
  inserts: number;
  retrievals: number;
  evictions: number;
  indexKind: string;
  entries: StoredPattern[];
  indexBytes: Uint8Array;
}

export function encodeBankFile(contents: BankFileContents): Uint8Array {
  const { settings, entries } = contents;
  const loras = entries.map((e) => encodeBinary(e.pattern.lora));
  const estimate = 256 + entries.length * (256 + settings.dimension * 4) + loras.reduce((n, b) => n + b.length, 0);
  const w = new ByteWriter(BANK_FORMAT, estimate + contents.indexBytes.length);
  w.f64(settings.timestepRange[0]);
  w.f64(settings.timestepRange[1]);
  w.u32(settings.maxPatterns);
  w.u32(settings.dimension);
  w.f64(settings.scoring.similarity);
  w.f64(settings.scoring.quality);
  w.f64(settings.scoring.recency);
  w.f64(settings.recencyHalfLifeMs);
  w.u32(settings.oversample);
  w.f64(settings.minSimilarity);
  w.u32(settings.maxRank);
  w.u8(settings.timestepPolicy === 'contain' ? 1 : 0);
  w.u8(metricCode(contents.metric));
  w.u16(0);
  w.u32(settings.latencyWindow);
  w.string(settings.defaultOwnerId);
  w.f64(contents.inserts);
  w.f64(contents.retrievals);
  w.f64(contents.evictions);
  w.string(contents.indexKind);
  w.u32(entries.length);
  entries.forEach((entry, i) => {
    const { pattern } = entry;
    w.string(pattern.id);
    w.f64(pattern.timestepRange[0]);
    w.f64(pattern.timestepRange[1]);
    for (const field of METRIC_FIELDS) w.f64(pattern.metrics[field]);
    w.f64(entry.latencySamples);
    w.f64(entry.denoisingSamples);
    w.u32(entry.users.size);
    for (const user of entry.users) w.string(user);
    const { policy, provenance } = pattern;
    w.u8(SHARING_TIERS.indexOf(policy.tier));
    w.u8(policy.consent ? 1 : 0);
    w.u8((policy.groupId === undefined ? 0 : 1) | (policy.tenantId === undefined ? 0 : 2));
    w.string(policy.ownerId);
    if (policy.groupId !== undefined) w.string(policy.groupId);
    if (policy.tenantId !== undefined) w.string(policy.tenantId);
    w.string(provenance.originKeyId);
    w.f64(provenance.createdAt);
    w.u32(provenance.parentIds.length);
    for (const parent of provenance.parentIds) w.string(parent);
    w.u8((provenance.contentHash === undefined ? 0 : 1) | (provenance.signature === undefined ? 0 : 2));
    if (provenance.contentHash !== undefined) w.string(provenance.contentHash);
    if (provenance.signature !== undefined) w.string(provenance.signature);
    const lora = loras[i] as Uint8Array;
    w.u32(lora.length);
    w.bytes(lora);
    w.f32s(pattern.embedding);
  });
  w.u32(contents.indexBytes.length);
  w.bytes(contents.indexBytes);
  return w.finish();
}

function count(r: ByteReader, field: string, bytesEach: number): number {
  const n = r.u32(field);
  // Every item takes at least bytesEach bytes: refuse counts the input cannot hold before allocating.
  r.need(n * bytesEach, field);
  return n;
}

/** Turns a validation failure of decoded content into CORRUPT_DATA. */
function asCorrupt(what: string, run: () => void): void {
  try {
    run();
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw corrupt(BANK_FORMAT.what, `${what}: ${reason}`, cause);
  }
}

/**
 * Decodes and validates a bank file (everything except the index bytes, which the
 * index itself validates). Truncated/corrupted input → CORRUPT_DATA; another
 * format version → UNSUPPORTED_VERSION.
 */
export function decodeBankFile(bytes: Uint8Array): BankFileContents {
  try {
    return decodeUnchecked(bytes);
  } catch (cause) {
    if (isMicroLoraError(cause)) throw cause;
    // A bug-class error (RangeError, TypeError) on hostile input must still be a typed error.
    throw corrupt(BANK_FORMAT.what, cause instanceof Error ? cause.message : String(cause), cause);
  }
}

function decodeUnchecked(bytes: Uint8Array): BankFileContents {
  const r = openContainer(bytes, BANK_FORMAT);
  const rangeStart = r.f64('timestepRange[0]');
  const rangeEnd = r.f64('timestepRange[1]');
  const maxPatterns = r.u32('maxPatterns');
  const dimension = r.u32('dimension');
  const scoringRaw = { similarity: r.f64('scoring'), quality: r.f64('scoring'), recency: r.f64('scoring') };
  const recencyHalfLifeMs = r.f64('recencyHalfLifeMs');
  const oversample = r.u32('oversample');
  const minSimilarity = r.f64('minSimilarity');
  const maxRank = r.u32('maxRank');
  const policyCode = r.u8('timestepPolicy');
  const metric = metricFromCode(r.u8('metric'));
  if (r.u16('reserved') !== 0) throw corrupt(BANK_FORMAT.what, 'reserved bytes are not zero');
  const latencyWindow = r.u32('latencyWindow');
  const defaultOwnerId = r.string('defaultOwnerId');
  if (policyCode > 1) throw corrupt(BANK_FORMAT.what, `timestep policy code ${policyCode} is unknown`);
  if (metric === undefined) throw corrupt(BANK_FORMAT.what, 'the metric code is unknown');
  if (dimension < 1 || dimension > FEATURES_LIMIT)
    throw corrupt(BANK_FORMAT.what, `dimension ${dimension} is out of range`);
  let settings!: ResolvedBankSettings;
  asCorrupt('its settings are invalid', () => {
    settings = resolveSettings(
      {
        timestepRange: [rangeStart, rangeEnd],
        maxPatterns,
        scoring: scoringRaw,
        recencyHalfLifeMs,
        oversample,
        minSimilarity,
        maxRank,
        timestepPolicy: policyCode === 1 ? 'contain' : 'overlap',
        defaultOwnerId,
        latencyWindow,
      },
      dimension,
    );
    resolveScoring(scoringRaw);
  });
  // Keep the saved (already normalised) weights bit for bit, so scores after load are identical.
  settings = { ...settings, scoring: Object.freeze(scoringRaw) };
  const counters = { inserts: r.f64('inserts'), retrievals: r.f64('retrievals'), evictions: r.f64('evictions') };
  for (const [name, value] of Object.entries(counters)) {
    if (!Number.isSafeInteger(value) || value < 0) throw corrupt(BANK_FORMAT.what, `counter ${name} is ${value}`);
  }
  const indexKind = r.string('indexKind');
  const patternCount = count(r, 'patternCount', 4 + 8 * 12 + dimension * 4);
  if (patternCount > settings.maxPatterns) {
    throw corrupt(BANK_FORMAT.what, `${patternCount} patterns exceed maxPatterns ${settings.maxPatterns}`);
  }
  const entries: StoredPattern[] = [];
  const seen = new Set<string>();
  for (let p = 0; p < patternCount; p++) {
    const field = `pattern ${p}`;
    const id = r.string(`${field} id`);
    if (seen.has(id)) throw corrupt(BANK_FORMAT.what, `pattern id ${JSON.stringify(id)} appears twice`);
    seen.add(id);
    const timestepRange = [r.f64(`${field} timestepRange`), r.f64(`${field} timestepRange`)] as const;
    const metrics = {} as PatternMetrics;
    for (const name of METRIC_FIELDS) metrics[name] = r.f64(`${field} metrics.${name}`);
    const latencySamples = r.f64(`${field} latencySamples`);
    const denoisingSamples = r.f64(`${field} denoisingSamples`);
    const userCount = count(r, `${field} userCount`, 4);
    const users = new Set<string>();
    for (let u = 0; u < userCount; u++) users.add(r.string(`${field} user`));
    const tier = SHARING_TIERS[r.u8(`${field} policy.tier`)];
    const consent = r.u8(`${field} policy.consent`);
    const policyFlags = r.u8(`${field} policy flags`);
    if (tier === undefined || consent > 1 || policyFlags > 3)
      throw corrupt(BANK_FORMAT.what, `${field} has an invalid policy`);
    const policy: SharingPolicy = { tier, ownerId: r.string(`${field} policy.ownerId`), consent: consent === 1 };
    if (policyFlags & 1) policy.groupId = r.string(`${field} policy.groupId`);
    if (policyFlags & 2) policy.tenantId = r.string(`${field} policy.tenantId`);
    const originKeyId = r.string(`${field} provenance.originKeyId`);
    const createdAt = r.f64(`${field} provenance.createdAt`);
    const parentCount = count(r, `${field} parentCount`, 4);
    const parentIds: string[] = [];
    for (let i = 0; i < parentCount; i++) parentIds.push(r.string(`${field} parentId`));
    const provenanceFlags = r.u8(`${field} provenance flags`);
    if (provenanceFlags > 3) throw corrupt(BANK_FORMAT.what, `${field} has invalid provenance flags`);
    const provenance: Provenance = { originKeyId, createdAt, parentIds };
    if (provenanceFlags & 1) provenance.contentHash = r.string(`${field} provenance.contentHash`);
    if (provenanceFlags & 2) provenance.signature = r.string(`${field} provenance.signature`);
    const loraLength = r.u32(`${field} lora length`);
    const lora = decodeBinary(r.bytes(loraLength, `${field} lora`));
    const embedding = r.f32s(dimension, `${field} embedding`);
    let entry!: StoredPattern;
    asCorrupt(`${field} (${JSON.stringify(id)}) is invalid`, () => {
      const checkSamples = (name: string, value: number, max: number): void => {
        if (!Number.isSafeInteger(value) || value < 0 || value > max) throw new Error(`${name} is ${value}`);
      };
      checkSamples('latencySamples', latencySamples, metrics.usageCount + 1);
      checkSamples('denoisingSamples', denoisingSamples, metrics.feedbackCount + 1);
      if (users.size !== userCount) throw new Error('its user ids repeat');
      entry = storePatternInput(
        { id, embedding, lora, timestepRange, metrics, policy, provenance },
        settings,
        metrics.createdAt,
        metric === 'cosine',
      );
    });
    entry.latencySamples = latencySamples;
    entry.denoisingSamples = denoisingSamples;
    for (const user of users) entry.users.add(user);
    entries.push(entry);
  }
  const indexLength = r.u32('index length');
  const indexBytes = r.bytes(indexLength, 'index');
  r.expectEnd();
  return { settings, metric, ...counters, indexKind, entries, indexBytes };
}
