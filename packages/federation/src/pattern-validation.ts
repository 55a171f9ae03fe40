import {
  FEATURES_LIMIT,
  MicroLoraError,
  assertAllFinite,
  assertFiniteNumber,
  assertFloat32Array,
  assertInteger,
  assertTimestepRange,
} from '@microlora/core';
import type { MicroLoraErrorCode, Pattern, PatternMetrics } from '@microlora/core';
import { assertValidCompressedLora } from '@microlora/quantization';
import { assertSharingPolicy } from './sharing-policy.js';

/** Longest id, owner, group, tenant or key id, in UTF-8 bytes. */
export const MAX_STRING_BYTES = 512;
/** Most parent ids one pattern may list. */
export const MAX_PARENT_IDS = 256;

/** UTF-8 length of a well-formed string. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

// In unicode mode a paired surrogate is one code point, so this matches lone surrogates only.
const LONE_SURROGATE = /\p{Cs}/u;

/** A string that encodes to UTF-8 one-to-one and fits the format. */
export function assertWireString(name: string, value: unknown, allowEmpty = true): asserts value is string {
  if (typeof value !== 'string') throw new MicroLoraError('INVALID_ARGUMENT', `${name} must be a string, got ${typeof value}`);
  if (!allowEmpty && value.length === 0) throw new MicroLoraError('INVALID_ARGUMENT', `${name} must not be empty`);
  if (LONE_SURROGATE.test(value)) {
    throw new MicroLoraError('INVALID_ARGUMENT', `${name} contains a lone UTF-16 surrogate; it would not survive UTF-8 encoding`);
  }
  if (utf8Length(value) > MAX_STRING_BYTES) {
    throw new MicroLoraError('LIMIT_EXCEEDED', `${name} is ${utf8Length(value)} UTF-8 bytes; the limit is ${MAX_STRING_BYTES}`, {
      details: { name, limit: MAX_STRING_BYTES },
    });
  }
}

/** Validates the signed part of a pattern (everything but metrics) before it is encoded. */
export function assertPatternContent(pattern: unknown): void {
  if (typeof pattern !== 'object' || pattern === null) throw new MicroLoraError('INVALID_ARGUMENT', 'a pattern must be an object');
  const p = pattern as Partial<Pattern>;
  assertWireString('pattern.id', p.id, false);
  const where = `pattern ${JSON.stringify(p.id)}`;
  assertFloat32Array(`${where} embedding`, p.embedding);
  assertInteger(`${where} embedding length`, p.embedding.length, 1, FEATURES_LIMIT);
  assertAllFinite(`${where} embedding`, p.embedding);
  assertValidCompressedLora(p.lora);
  assertTimestepRange(p.timestepRange, `${where} timestepRange`);
  assertSharingPolicy(p.policy);
  assertWireString(`${where} policy.ownerId`, p.policy.ownerId);
  if (p.policy.groupId !== undefined) assertWireString(`${where} policy.groupId`, p.policy.groupId);
  if (p.policy.tenantId !== undefined) assertWireString(`${where} policy.tenantId`, p.policy.tenantId);
  const provenance = p.provenance;
  if (typeof provenance !== 'object' || provenance === null) {
    throw new MicroLoraError('INVALID_ARGUMENT', `${where} needs provenance { originKeyId, createdAt, parentIds }`);
  }
  assertWireString(`${where} provenance.originKeyId`, provenance.originKeyId);
  assertFiniteNumber(`${where} provenance.createdAt`, provenance.createdAt);
  if (!Array.isArray(provenance.parentIds)) throw new MicroLoraError('INVALID_ARGUMENT', `${where} provenance.parentIds must be an array`);
  if (provenance.parentIds.length > MAX_PARENT_IDS) {
    throw new MicroLoraError('LIMIT_EXCEEDED', `${where} lists ${provenance.parentIds.length} parents; the limit is ${MAX_PARENT_IDS}`);
  }
  provenance.parentIds.forEach((parent, i) => assertWireString(`${where} provenance.parentIds[${i}]`, parent));
}

export const METRIC_FIELDS = [
  'successRate',
  'feedbackCount',
  'usageCount',
  'avgLatencyMs',
  'denoisingQuality',
  'distinctUsers',
  'lastUsed',
  'createdAt',
] as const satisfies readonly (keyof PatternMetrics)[];

const UNIT_INTERVAL: ReadonlySet<string> = new Set(['successRate', 'denoisingQuality']);
const NON_NEGATIVE: ReadonlySet<string> = new Set(['feedbackCount', 'usageCount', 'avgLatencyMs', 'distinctUsers']);

/** The first problem of a metrics record with its code, or undefined. */
export function metricsProblem(metrics: unknown): { code: MicroLoraErrorCode; message: string } | undefined {
  if (typeof metrics !== 'object' || metrics === null) return { code: 'INVALID_ARGUMENT', message: 'metrics must be a PatternMetrics object' };
  const m = metrics as Record<string, unknown>;
  for (const field of METRIC_FIELDS) {
    const v = m[field];
    if (typeof v !== 'number') return { code: 'INVALID_ARGUMENT', message: `metrics.${field} must be a number` };
    if (!Number.isFinite(v)) return { code: 'NON_FINITE', message: `metrics.${field} is ${v}; metrics must be finite` };
    if (UNIT_INTERVAL.has(field) && !(v >= 0 && v <= 1)) return { code: 'OUT_OF_RANGE', message: `metrics.${field} is ${v}, outside [0, 1]` };
    if (NON_NEGATIVE.has(field) && v < 0) return { code: 'OUT_OF_RANGE', message: `metrics.${field} is ${v}; it must be ≥ 0` };
  }
  return undefined;
}
