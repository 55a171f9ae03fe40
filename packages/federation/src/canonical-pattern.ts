import { ByteWriter, FEATURES_LIMIT, MicroLoraError, SHARING_TIERS, corrupt, findNonFinite, openContainer } from '@microlora/core';
import type { ByteReader, CompressedLora, ContainerFormat, Pattern, Provenance, SharingPolicy, TimestepRange } from '@microlora/core';
import { decodeBinary, encodeBinary } from '@microlora/quantization';
import { toHex } from './hex.js';
import { checkLoraHeader } from './lora-header-peek.js';
import type { LoraShapeLimits } from './lora-header-peek.js';
import { MAX_PARENT_IDS, MAX_STRING_BYTES, assertPatternContent, utf8Length } from './pattern-validation.js';
import { sha256 } from './webcrypto.js';

/** The canonical pattern container: magic "MLPT", version 1. */
export const PATTERN_FORMAT: Readonly<ContainerFormat> = Object.freeze({ magic: 'MLPT', version: 1, what: 'canonical pattern' });

/** What the content hash covers: a Pattern without metrics, contentHash and signature. */
export interface PatternContent {
  id: string;
  embedding: Float32Array;
  lora: CompressedLora;
  timestepRange: TimestepRange;
  policy: SharingPolicy;
  provenance: Pick<Provenance, 'originKeyId' | 'createdAt' | 'parentIds'>;
}

function optional(w: ByteWriter, value: string | undefined): void {
  w.u8(value === undefined ? 0 : 1);
  if (value !== undefined) w.string(value);
}

function encodeUnchecked(p: PatternContent): Uint8Array {
  const lora = encodeBinary(p.lora);
  const w = new ByteWriter(PATTERN_FORMAT, 64 + 4 * p.embedding.length + lora.length);
  w.string(p.id);
  w.u32(p.embedding.length);
  w.f32s(p.embedding);
  w.u32(lora.length);
  w.bytes(lora);
  w.f64(p.timestepRange[0]);
  w.f64(p.timestepRange[1]);
  w.u8(SHARING_TIERS.indexOf(p.policy.tier));
  w.u8(p.policy.consent ? 1 : 0);
  w.string(p.policy.ownerId);
  optional(w, p.policy.groupId);
  optional(w, p.policy.tenantId);
  w.string(p.provenance.originKeyId);
  w.f64(p.provenance.createdAt);
  w.u32(p.provenance.parentIds.length);
  for (const parent of p.provenance.parentIds) w.string(parent);
  return w.finish();
}

/**
 * The canonical bytes of a pattern: the preimage of its content hash (layout in
 * the README). Same content ⇒ same bytes; metrics, contentHash and signature are
 * not part of it. Validates the pattern first (INVALID_ARGUMENT, NON_FINITE, …).
 */
export function canonicalPatternBytes(pattern: PatternContent | Pattern): Uint8Array {
  assertPatternContent(pattern);
  return encodeUnchecked(pattern);
}

/** Lowercase hex SHA-256 of canonical bytes. */
export async function hashCanonicalBytes(bytes: Uint8Array): Promise<string> {
  return toHex(await sha256(bytes));
}

/** Hex SHA-256 of canonicalPatternBytes(pattern). */
export async function contentHashOf(pattern: PatternContent | Pattern): Promise<string> {
  return hashCanonicalBytes(canonicalPatternBytes(pattern));
}

export interface PatternDecodeLimits extends LoraShapeLimits {
  /** Required embedding length, when the importer knows its embedder. */
  dimension?: number;
}

const WHAT = PATTERN_FORMAT.what;

function wireString(r: ByteReader, field: string, allowEmpty = true): string {
  const value = r.string(field);
  if (!allowEmpty && value.length === 0) throw corrupt(WHAT, `${field} is empty`);
  if (utf8Length(value) > MAX_STRING_BYTES) throw corrupt(WHAT, `${field} is longer than ${MAX_STRING_BYTES} bytes`);
  return value;
}

function flag(r: ByteReader, field: string): boolean {
  const v = r.u8(field);
  if (v > 1) throw corrupt(WHAT, `${field} byte is ${v}, expected 0 or 1`);
  return v === 1;
}

function finite(value: number, field: string, where: string): number {
  if (!Number.isFinite(value)) {
    throw new MicroLoraError('NON_FINITE', `${where} ${field} is ${value}; it must be finite`, { details: { where, field, value } });
  }
  return value;
}

/**
 * Strict inverse of canonicalPatternBytes, for untrusted input. Rejects with a
 * typed code (CORRUPT_DATA, UNSUPPORTED_VERSION, NON_FINITE, RANK_OUT_OF_RANGE,
 * DIMENSION_MISMATCH, OUT_OF_RANGE) and accepts only canonical bytes, so the
 * hash of the input is the content hash of the result.
 */
export function decodeCanonicalPattern(bytes: Uint8Array, limits: PatternDecodeLimits, where: string): PatternContent {
  const r = openContainer(bytes, PATTERN_FORMAT);
  const id = wireString(r, 'id', false);
  const at = `${where} (id ${JSON.stringify(id)})`;
  const dimension = r.u32('embedding length');
  if (dimension < 1 || dimension > FEATURES_LIMIT) throw corrupt(WHAT, `embedding length ${dimension} is outside [1, ${FEATURES_LIMIT}]`);
  if (limits.dimension !== undefined && dimension !== limits.dimension) {
    throw new MicroLoraError('DIMENSION_MISMATCH', `${at} has a ${dimension}-dimensional embedding; this importer needs ${limits.dimension}`, {
      details: { where: at, actual: dimension, expected: limits.dimension },
    });
  }
  const embedding = r.f32s(dimension, 'embedding');
  const bad = findNonFinite(embedding);
  if (bad >= 0) {
    throw new MicroLoraError('NON_FINITE', `${at} embedding[${bad}] is ${embedding[bad]}; embeddings must be finite`, {
      details: { where: at, index: bad },
    });
  }
  const loraBytes = r.bytes(r.u32('lora length'), 'lora');
  checkLoraHeader(loraBytes, limits, `${at} adapter`);
  let lora: CompressedLora;
  try {
    lora = decodeBinary(loraBytes);
  } catch (cause) {
    const code = cause instanceof MicroLoraError ? cause.code : 'CORRUPT_DATA';
    throw new MicroLoraError(code, `${at} adapter: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  const start = finite(r.f64('timestep start'), 'timestepRange[0]', at);
  const end = finite(r.f64('timestep end'), 'timestepRange[1]', at);
  if (!(start >= 0 && start <= end && end <= 1)) {
    throw new MicroLoraError('OUT_OF_RANGE', `${at} timestepRange [${start}, ${end}] is not within [0, 1] in order`, {
      details: { where: at, start, end },
    });
  }
  const tierCode = r.u8('tier');
  const tier = SHARING_TIERS[tierCode];
  if (tier === undefined) throw corrupt(WHAT, `tier code ${tierCode} is unknown`);
  const consent = flag(r, 'consent');
  const ownerId = wireString(r, 'ownerId');
  const groupId = flag(r, 'groupId flag') ? wireString(r, 'groupId') : undefined;
  const tenantId = flag(r, 'tenantId flag') ? wireString(r, 'tenantId') : undefined;
  const policy: SharingPolicy = { tier, ownerId, consent };
  if (groupId !== undefined) policy.groupId = groupId;
  if (tenantId !== undefined) policy.tenantId = tenantId;
  const originKeyId = wireString(r, 'originKeyId');
  const createdAt = finite(r.f64('createdAt'), 'provenance.createdAt', at);
  const parentCount = r.u32('parent count');
  if (parentCount > MAX_PARENT_IDS) throw corrupt(WHAT, `${parentCount} parent ids exceed the limit of ${MAX_PARENT_IDS}`);
  const parentIds: string[] = [];
  for (let i = 0; i < parentCount; i++) parentIds.push(wireString(r, `parentIds[${i}]`));
  r.expectEnd();
  const content: PatternContent = {
    id,
    embedding,
    lora,
    timestepRange: [start, end],
    policy,
    provenance: { originKeyId, createdAt, parentIds },
  };
  // One encoding per content (e.g. a UTF-8 BOM the decoder would drop): the hash must identify the content.
  const again = encodeUnchecked(content);
  if (again.length !== bytes.length || again.some((b, i) => b !== bytes[i])) throw corrupt(WHAT, 'the encoding is not canonical');
  return content;
}
