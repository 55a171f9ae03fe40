import {
  MICRO_RANK_MAX,
  MicroLoraError,
  RANK_LIMIT,
  assertDimension,
  assertFiniteNumber,
  assertInteger,
  crc32,
  isMicroLoraError,
} from '@microlora/core';
import type { MicroLoraErrorCode, Pattern, PatternMetrics } from '@microlora/core';
import { decompress } from '@microlora/quantization';
import { encodeBase64 } from './base64.js';
import { readBundle } from './bundle-format.js';
import type { Audience, RawBundle } from './bundle-format.js';
import { decodeCanonicalPattern } from './canonical-pattern.js';
import type { PatternContent } from './canonical-pattern.js';
import { deltaFrobeniusNorm } from './delta-norm.js';
import { gaussianSigma } from './differential-privacy.js';
import type { DpRecord } from './differential-privacy.js';
import { toHex } from './hex.js';
import { metricsProblem } from './pattern-validation.js';
import { verifyHashSignature } from './provenance.js';
import { ReplayGuard } from './replay-guard.js';
import { shareDecision } from './sharing-policy.js';
import { assertTrustedKeys } from './trusted-keys.js';
import type { TrustedKeys } from './trusted-keys.js';
import { ed25519Verify, sha256 } from './webcrypto.js';

/** What an importer accepts. Everything beyond these is rejected before it is stored. */
export interface ImportLimits {
  /** Largest bundle in bytes; checked before anything is parsed. */
  maxBytes: number;
  /** Most patterns per bundle; checked before any record is read. */
  maxPatterns: number;
  /** Largest ‖ΔW‖_F (= ‖scaling·B·A‖_F) of any pattern; Infinity to disable. */
  maxNorm: number;
  /** Required embedding length. */
  dimension?: number;
  /** Largest adapter rank (default MICRO_RANK_MAX = 4). */
  maxRank?: number;
  /** Required adapter input / output size. */
  inFeatures?: number;
  outFeatures?: number;
  /** Bundles older than this are refused as possible replays (default 30 days). */
  maxAgeMs?: number;
  /** Tolerated clock difference for timestamps in the future (default 5 minutes). */
  maxClockSkewMs?: number;
}

export interface ImportOptions {
  trustedKeys: TrustedKeys;
  limits: ImportLimits;
  /** Replay memory shared by every import of this receiver. */
  seen: ReplayGuard;
  /** ms since the epoch; default Date.now(). */
  now?: number;
  /** The importer's own group / tenant: when given, bundles addressed to another audience are refused. */
  recipient?: { group?: string; tenant?: string };
}

export interface ImportResult {
  /** Verified patterns, with provenance.contentHash and provenance.signature filled in. */
  patterns: Pattern[];
  exporterKeyId: string;
  createdAt: number;
  audience: Audience;
  /** The (ε, δ) the exporter spent on these weights, or null when they are not noised. */
  dp: DpRecord | null;
  /** Hex SHA-256 of the whole bundle. */
  bundleHash: string;
}

const DAY = 86_400_000;
const DEFAULT_MAX_AGE_MS = 30 * DAY;
const DEFAULT_MAX_SKEW_MS = 5 * 60_000;

interface ResolvedLimits {
  maxBytes: number;
  maxPatterns: number;
  maxNorm: number;
  dimension?: number;
  maxRank: number;
  inFeatures?: number;
  outFeatures?: number;
  maxAgeMs: number;
  maxClockSkewMs: number;
}

function resolveLimits(limits: ImportLimits): ResolvedLimits {
  if (typeof limits !== 'object' || limits === null) {
    throw new MicroLoraError('INVALID_ARGUMENT', 'limits must be { maxBytes, maxPatterns, maxNorm, … }');
  }
  assertInteger('limits.maxBytes', limits.maxBytes, 1, Number.MAX_SAFE_INTEGER);
  assertInteger('limits.maxPatterns', limits.maxPatterns, 1, 1 << 24);
  if (typeof limits.maxNorm !== 'number' || !(limits.maxNorm > 0)) {
    throw new MicroLoraError('INVALID_ARGUMENT', `limits.maxNorm must be a positive number (Infinity disables it), got ${String(limits.maxNorm)}`);
  }
  const maxRank = limits.maxRank ?? MICRO_RANK_MAX;
  assertInteger('limits.maxRank', maxRank, 1, RANK_LIMIT);
  if (limits.dimension !== undefined) assertDimension('limits.dimension', limits.dimension);
  if (limits.inFeatures !== undefined) assertDimension('limits.inFeatures', limits.inFeatures);
  if (limits.outFeatures !== undefined) assertDimension('limits.outFeatures', limits.outFeatures);
  const maxAgeMs = limits.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  if (typeof maxAgeMs !== 'number' || !(maxAgeMs >= 0)) {
    throw new MicroLoraError('INVALID_ARGUMENT', `limits.maxAgeMs must be ≥ 0 (Infinity allowed), got ${String(maxAgeMs)}`);
  }
  const maxClockSkewMs = limits.maxClockSkewMs ?? DEFAULT_MAX_SKEW_MS;
  assertFiniteNumber('limits.maxClockSkewMs', maxClockSkewMs, 0);
  return { ...limits, maxRank, maxAgeMs, maxClockSkewMs };
}

const REJECTED = 'bundle rejected: ';

function reject(code: MicroLoraErrorCode, message: string, details: Record<string, unknown> = {}): MicroLoraError {
  return new MicroLoraError(code, `${REJECTED}${message}`, { details });
}

/** Every error of an import says "bundle rejected", keeps its code and names the part; container errors get importer advice. */
function asRejection(err: unknown, where?: string): unknown {
  if (!isMicroLoraError(err) || err.message.startsWith(REJECTED)) return err;
  const { what, reason } = err.details;
  const text =
    err.code === 'CORRUPT_DATA' && typeof reason === 'string'
      ? `${String(what)} is corrupt: ${reason}; it was damaged in transit or not written by exportBundle`
      : err.message;
  const prefix = where === undefined || text.startsWith(where) ? '' : `${where}: `;
  return new MicroLoraError(err.code, `${REJECTED}${prefix}${text}`, { cause: err, details: err.details });
}

/** A version field that differs only because the bytes are damaged is CORRUPT_DATA, not UNSUPPORTED_VERSION. */
function readBundleStrict(bytes: Uint8Array, maxPatterns: number): RawBundle {
  const onCount = (count: number): void => {
    if (count > maxPatterns) {
      throw reject('LIMIT_EXCEEDED', `it declares ${count} patterns; limits.maxPatterns is ${maxPatterns}`, { count, maxPatterns });
    }
  };
  try {
    return readBundle(bytes, onCount);
  } catch (err) {
    if (isMicroLoraError(err, 'UNSUPPORTED_VERSION')) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (view.getUint32(bytes.length - 4, true) !== crc32(bytes.subarray(0, bytes.length - 4))) {
        throw reject('CORRUPT_DATA', 'the version field is damaged (checksum mismatch)');
      }
    }
    throw asRejection(err);
  }
}

function checkDpRecord(dp: DpRecord): void {
  for (const [name, value] of Object.entries(dp)) {
    if (!Number.isFinite(value)) throw reject('NON_FINITE', `dp.${name} is ${value}`, { field: name });
  }
  const valid = dp.epsilon > 0 && dp.epsilon < 1 && dp.delta > 0 && dp.delta < 1 && dp.clipNorm > 0;
  const expected = gaussianSigma(dp.epsilon, dp.delta, dp.clipNorm);
  if (!valid || Math.abs(dp.sigma - expected) > 1e-12 * expected) {
    throw reject('CORRUPT_DATA', `its dp record (ε ${dp.epsilon}, δ ${dp.delta}, C ${dp.clipNorm}, σ ${dp.sigma}) is inconsistent`, { dp });
  }
}

function checkAudience(audience: Audience, recipient: ImportOptions['recipient']): void {
  if (audience.tier === 'private') throw reject('POLICY_VIOLATION', 'it is addressed to a private audience; private patterns never leave');
  if (recipient === undefined) return;
  const mismatch =
    (audience.tier === 'group' && audience.group !== recipient.group) ||
    (audience.tier === 'tenant' && audience.tenant !== recipient.tenant) ||
    (audience.tier === 'group' && audience.tenant !== undefined && recipient.tenant !== undefined && audience.tenant !== recipient.tenant);
  if (mismatch) {
    throw reject('POLICY_VIOLATION', `it is addressed to ${audience.tier} ${JSON.stringify(audience.group ?? audience.tenant)}, not to this recipient`, {
      audience,
    });
  }
}

function checkTimes(header: RawBundle['header'], limits: ResolvedLimits, now: number, guard: ReplayGuard): void {
  const { createdAt } = header;
  if (!Number.isFinite(createdAt)) throw reject('NON_FINITE', `createdAt is ${createdAt}`);
  if (createdAt > now + limits.maxClockSkewMs) {
    throw reject('OUT_OF_RANGE', `it was created at ${createdAt}, ${createdAt - now} ms in the future (limits.maxClockSkewMs ${limits.maxClockSkewMs})`, {
      reason: 'future-timestamp',
      createdAt,
      now,
    });
  }
  if (now - createdAt > limits.maxAgeMs) {
    throw reject('REPLAY', `it is ${now - createdAt} ms old, beyond limits.maxAgeMs ${limits.maxAgeMs}; ask the peer for a fresh export`, {
      reason: 'expired',
      createdAt,
      now,
    });
  }
  if (createdAt <= guard.floor) {
    throw reject('REPLAY', `it was created at ${createdAt}, not after ${guard.floor}, the oldest time the replay memory still covers`, {
      reason: 'below-replay-floor',
      createdAt,
      floor: guard.floor,
    });
  }
}

async function verifyRecord(
  raw: RawBundle,
  index: number,
  limits: ResolvedLimits,
  trustedKeys: TrustedKeys,
): Promise<{ content: PatternContent; metrics: PatternMetrics; hash: Uint8Array; signature: Uint8Array }> {
  const record = raw.records[index] as RawBundle['records'][number];
  const where = `pattern ${index}`;
  let content: PatternContent;
  try {
    content = decodeCanonicalPattern(record.canonical, limits, where);
  } catch (err) {
    throw asRejection(err, where);
  }
  const at = `pattern ${JSON.stringify(content.id)}`;
  const problem = metricsProblem(record.metrics);
  if (problem !== undefined) throw reject(problem.code, `${at} ${problem.message}`, { id: content.id });
  const hash = await sha256(record.canonical);
  try {
    await verifyHashSignature(hash, record.signature, content.provenance.originKeyId, trustedKeys, at);
  } catch (err) {
    throw asRejection(err);
  }
  const { header } = raw;
  if (header.dp !== null && content.provenance.originKeyId !== header.exporterKeyId) {
    throw reject('POLICY_VIOLATION', `${at} is in a DP bundle but was not noised and re-signed by the exporter`, { id: content.id });
  }
  const decision = shareDecision(content.policy, header.audience.tier, header.audience);
  if (!decision.allowed) {
    throw reject('POLICY_VIOLATION', `${at} may not go to this ${header.audience.tier} audience: ${decision.message}`, {
      id: content.id,
      reason: decision.reason,
    });
  }
  if (content.provenance.createdAt > header.createdAt + limits.maxClockSkewMs) {
    throw reject('OUT_OF_RANGE', `${at} claims to be created at ${content.provenance.createdAt}, after its bundle (${header.createdAt})`, {
      id: content.id,
      reason: 'future-timestamp',
    });
  }
  const norm = deltaFrobeniusNorm(decompress(content.lora));
  if (!(norm <= limits.maxNorm)) {
    throw reject('LIMIT_EXCEEDED', `${at} has ‖ΔW‖_F = ${norm}, above limits.maxNorm ${limits.maxNorm}`, { id: content.id, norm });
  }
  return { content, metrics: record.metrics, hash, signature: record.signature };
}

/**
 * Verifies a bundle and returns its patterns, or rejects the WHOLE bundle with
 * one MicroLoraError naming the first problem (a peer that sends one bad
 * pattern is not trusted for the others). Checks, cheapest first: size, magic,
 * version, CRC, pattern count, exporter key, bundle signature, audience, DP
 * record, timestamps, then per pattern: encoding, dimensions, rank, finite
 * values, metrics, origin signature, sharing policy, ΔW norm; finally replays.
 * On success the bundle's hash, pattern ids and content hashes enter `seen`.
 */
export async function importBundle(bytes: Uint8Array, options: ImportOptions): Promise<ImportResult> {
  if (typeof options !== 'object' || options === null) {
    throw new MicroLoraError('INVALID_ARGUMENT', 'importBundle needs { trustedKeys, limits, seen }');
  }
  assertTrustedKeys(options.trustedKeys);
  if (!(options.seen instanceof ReplayGuard)) {
    throw new MicroLoraError('INVALID_ARGUMENT', 'seen must be a ReplayGuard kept across imports (new ReplayGuard())');
  }
  const limits = resolveLimits(options.limits);
  const { trustedKeys, seen } = options;
  if (seen.capacity < 1 + 2 * limits.maxPatterns) {
    throw new MicroLoraError(
      'INVALID_ARGUMENT',
      `the ReplayGuard remembers ${seen.capacity} keys, fewer than one full bundle needs (1 + 2 × maxPatterns = ${1 + 2 * limits.maxPatterns})`,
    );
  }
  const now = options.now ?? Date.now();
  assertFiniteNumber('now', now);
  if (!(bytes instanceof Uint8Array)) throw new MicroLoraError('INVALID_ARGUMENT', 'bundle bytes must be a Uint8Array');
  if (bytes.length > limits.maxBytes) {
    throw reject('LIMIT_EXCEEDED', `it is ${bytes.length} bytes; limits.maxBytes is ${limits.maxBytes}`, { size: bytes.length });
  }
  const raw = readBundleStrict(bytes, limits.maxPatterns);
  const bundleHash = toHex(await sha256(bytes));
  if (seen.has(`bundle:${bundleHash}`)) throw reject('REPLAY', 'this exact bundle was imported before', { reason: 'bundle', bundleHash });
  const { header } = raw;
  const exporterKey = trustedKeys.verifyKey(header.exporterKeyId);
  if (exporterKey === undefined) {
    throw reject('BAD_SIGNATURE', `its exporter key ${JSON.stringify(header.exporterKeyId)} is not trusted`, {
      reason: 'unknown-key',
      keyId: header.exporterKeyId,
    });
  }
  if (!(await ed25519Verify(exporterKey, raw.signature, raw.signedRegion))) {
    throw reject('BAD_SIGNATURE', `its signature does not match its content and exporter key ${header.exporterKeyId}`, {
      reason: 'invalid-signature',
      keyId: header.exporterKeyId,
    });
  }
  checkAudience(header.audience, options.recipient);
  if (header.dp !== null) checkDpRecord(header.dp);
  checkTimes(header, limits, now, seen);
  const verified = [];
  for (let i = 0; i < raw.records.length; i++) verified.push(await verifyRecord(raw, i, limits, trustedKeys));
  // Synchronous from here on: concurrent imports sharing `seen` cannot both accept the same pattern.
  if (header.createdAt <= seen.floor) {
    throw reject('REPLAY', 'the replay memory moved past this bundle while it was being verified', { reason: 'below-replay-floor' });
  }
  const keys = new Set([`bundle:${bundleHash}`]);
  const patterns: Pattern[] = [];
  for (const { content, metrics, hash, signature } of verified) {
    const hex = toHex(hash);
    for (const key of [`id:${content.id}`, `hash:${hex}`]) {
      if (seen.has(key) || keys.has(key)) {
        throw reject('REPLAY', `pattern ${JSON.stringify(content.id)} (${key.split(':')[0]}) was already received`, { id: content.id, key });
      }
      keys.add(key);
    }
    patterns.push({
      ...content,
      metrics: { ...metrics },
      provenance: { ...content.provenance, contentHash: hex, signature: encodeBase64(signature) },
    });
  }
  if (seen.has(`bundle:${bundleHash}`)) throw reject('REPLAY', 'this exact bundle was imported concurrently', { reason: 'bundle' });
  seen.remember(keys, header.createdAt);
  return {
    patterns,
    exporterKeyId: header.exporterKeyId,
    createdAt: header.createdAt,
    audience: header.audience,
    dp: header.dp,
    bundleHash,
  };
}
