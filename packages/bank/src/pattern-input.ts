import {
  MicroLoraError,
  SHARING_TIERS,
  assertFiniteNumber,
  assertInteger,
  assertLength,
  assertRank,
  assertTimestepRange,
  findNonFinite,
  initialPatternMetrics,
  isCompressedLora,
  type CompressedLora,
  type LoraWeights,
  type Pattern,
  type PatternInput,
  type PatternMetrics,
  type Provenance,
  type SharingPolicy,
  type TimestepRange,
} from '@microlora/core';
import { byteSize, compress } from '@microlora/quantization';
import type { ResolvedBankSettings } from './options.js';

/** A pattern as the bank keeps it, with the bookkeeping that running means need. */
export interface StoredPattern {
  readonly pattern: Pattern;
  /** byteSize(pattern.lora): exactly encodeBinary(lora).length. */
  readonly loraBytes: number;
  /** Usages that reported a latency (the denominator of avgLatencyMs). */
  latencySamples: number;
  /** Feedback events that reported denoisingQuality (its denominator). */
  denoisingSamples: number;
  /** Ids of the users seen by recordUsage; distinctUsers grows with it. */
  readonly users: Set<string>;
}

function invalid(message: string, details: Record<string, unknown> = {}): MicroLoraError {
  return new MicroLoraError('INVALID_ARGUMENT', message, { details });
}

export function assertPatternId(id: unknown, name = 'id'): asserts id is string {
  if (typeof id !== 'string' || id.length === 0) {
    throw invalid(`${name} must be a non-empty string, got ${typeof id === 'string' ? '""' : typeof id}`, { id });
  }
}

/** Σ v², float64, four independent accumulators (a NaN or ±Infinity entry makes it non-finite). */
export function sumOfSquares(v: Float32Array): number {
  const n = v.length;
  const n4 = n & ~3;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i < n4; i += 4) {
    const a = v[i] as number;
    const b = v[i + 1] as number;
    const c = v[i + 2] as number;
    const d = v[i + 3] as number;
    s0 += a * a;
    s1 += b * b;
    s2 += c * c;
    s3 += d * d;
  }
  for (; i < n; i++) s0 += (v[i] as number) * (v[i] as number);
  return s0 + s1 + (s2 + s3);
}

/**
 * A Float32Array of `dimension` finite values; returns its squared norm. One pass:
 * squares of float32 values cannot overflow a float64 sum, so a non-finite sum
 * means a non-finite entry.
 */
export function checkEmbedding(name: string, embedding: unknown, dimension: number): number {
  if (!(embedding instanceof Float32Array)) {
    throw invalid(
      `${name} must be a Float32Array of length ${dimension}, got ${Object.prototype.toString.call(embedding)}`,
    );
  }
  assertLength(name, embedding, dimension);
  const sumSquares = sumOfSquares(embedding);
  if (!Number.isFinite(sumSquares)) {
    const bad = findNonFinite(embedding);
    throw new MicroLoraError('NON_FINITE', `${name}[${bad}] is ${embedding[bad]}; every value must be finite`, {
      details: { name, index: bad },
    });
  }
  return sumSquares;
}

/** Whether `range` may be stored in a bank covering `bank` under `policy`. */
export function timestepRangeAccepted(
  range: TimestepRange,
  bank: TimestepRange,
  policy: 'overlap' | 'contain',
): boolean {
  return policy === 'contain' ? range[0] >= bank[0] && range[1] <= bank[1] : range[0] <= bank[1] && range[1] >= bank[0];
}

const METRIC_RULES: Record<keyof PatternMetrics, 'unit' | 'count' | 'nonNegative' | 'time'> = {
  successRate: 'unit',
  feedbackCount: 'count',
  usageCount: 'count',
  avgLatencyMs: 'nonNegative',
  denoisingQuality: 'unit',
  distinctUsers: 'count',
  lastUsed: 'time',
  createdAt: 'time',
};

/** Checks every given metric field (unknown fields are rejected so typos do not vanish). */
export function assertPartialMetrics(metrics: unknown, name = 'metrics'): asserts metrics is Partial<PatternMetrics> {
  if (typeof metrics !== 'object' || metrics === null) throw invalid(`${name} must be an object`);
  for (const [key, value] of Object.entries(metrics)) {
    const rule = METRIC_RULES[key as keyof PatternMetrics];
    if (rule === undefined) {
      throw invalid(`${name}.${key} is not a pattern metric; known: ${Object.keys(METRIC_RULES).join(', ')}`, { key });
    }
    if (value === undefined) continue;
    if (rule === 'count') assertInteger(`${name}.${key}`, value, 0, Number.MAX_SAFE_INTEGER);
    else if (rule === 'unit') assertFiniteNumber(`${name}.${key}`, value, 0, 1);
    else if (rule === 'nonNegative') assertFiniteNumber(`${name}.${key}`, value, 0);
    else assertFiniteNumber(`${name}.${key}`, value);
  }
}

export function assertPolicy(policy: unknown, name = 'policy'): asserts policy is SharingPolicy {
  const p = policy as Partial<Record<keyof SharingPolicy, unknown>> | null;
  if (typeof p !== 'object' || p === null) throw invalid(`${name} must be a SharingPolicy object`);
  if (!(SHARING_TIERS as readonly unknown[]).includes(p.tier)) {
    throw invalid(`${name}.tier must be one of ${SHARING_TIERS.join(', ')}, got ${String(p.tier)}`);
  }
  if (typeof p.ownerId !== 'string') throw invalid(`${name}.ownerId must be a string`);
  if (typeof p.consent !== 'boolean') throw invalid(`${name}.consent must be a boolean`);
  if (p.groupId !== undefined && typeof p.groupId !== 'string') throw invalid(`${name}.groupId must be a string`);
  if (p.tenantId !== undefined && typeof p.tenantId !== 'string') throw invalid(`${name}.tenantId must be a string`);
}

export function assertProvenance(provenance: unknown, name = 'provenance'): asserts provenance is Provenance {
  const p = provenance as Partial<Record<keyof Provenance, unknown>> | null;
  if (typeof p !== 'object' || p === null) throw invalid(`${name} must be a Provenance object`);
  if (typeof p.originKeyId !== 'string') throw invalid(`${name}.originKeyId must be a string`);
  assertFiniteNumber(`${name}.createdAt`, p.createdAt);
  if (!Array.isArray(p.parentIds) || !p.parentIds.every((x) => typeof x === 'string')) {
    throw invalid(`${name}.parentIds must be an array of strings`);
  }
  if (p.contentHash !== undefined && typeof p.contentHash !== 'string')
    throw invalid(`${name}.contentHash must be a string`);
  if (p.signature !== undefined && typeof p.signature !== 'string') throw invalid(`${name}.signature must be a string`);
}

/** The int8 form of the weights: validated as given, or compressed per row. */
function storedLora(lora: unknown, maxRank: number): { lora: CompressedLora; bytes: number } {
  if (typeof lora !== 'object' || lora === null) {
    throw invalid('pattern.lora must be a CompressedLora or LoraWeights object');
  }
  const weights = lora as CompressedLora | LoraWeights;
  assertRank(weights.rank, maxRank, 'pattern.lora.rank');
  // compress() validates f32 weights; byteSize() validates a CompressedLora's structure.
  const compressed = isCompressedLora(weights) ? weights : compress(weights, 'per-row');
  return { lora: compressed, bytes: byteSize(compressed) };
}

/**
 * Validates a PatternInput against the bank's settings and builds what the bank
 * stores: a private copy of the embedding, int8 weights, complete metrics, and
 * default policy/provenance. Throws before anything is stored.
 */
export function storePatternInput(
  input: PatternInput,
  settings: ResolvedBankSettings,
  now: number,
  requireNonZero: boolean,
): StoredPattern {
  if (typeof input !== 'object' || input === null) throw invalid('insert() needs a PatternInput object');
  assertPatternId(input.id, 'pattern.id');
  const sumSquares = checkEmbedding('pattern.embedding', input.embedding, settings.dimension);
  if (sumSquares === 0 && requireNonZero) {
    throw invalid('pattern.embedding is all zeros and has no direction under cosine similarity; embed non-empty text', {
      name: 'pattern.embedding',
    });
  }
  assertTimestepRange(input.timestepRange, 'pattern.timestepRange');
  if (!timestepRangeAccepted(input.timestepRange, settings.timestepRange, settings.timestepPolicy)) {
    const [s, e] = settings.timestepRange;
    throw new MicroLoraError(
      'OUT_OF_RANGE',
      `pattern.timestepRange [${input.timestepRange[0]}, ${input.timestepRange[1]}] ${
        settings.timestepPolicy === 'contain' ? 'is not inside' : 'does not overlap'
      } this bank's range [${s}, ${e}]; insert it into the bank that covers it`,
      { details: { range: input.timestepRange, bankRange: settings.timestepRange, policy: settings.timestepPolicy } },
    );
  }
  if (input.metrics !== undefined) assertPartialMetrics(input.metrics, 'pattern.metrics');
  if (input.policy !== undefined) assertPolicy(input.policy, 'pattern.policy');
  if (input.provenance !== undefined) assertProvenance(input.provenance, 'pattern.provenance');
  const { lora, bytes } = storedLora(input.lora, settings.maxRank);

  const given = input.metrics ?? {};
  const defined = Object.fromEntries(
    Object.entries(given).filter(([, v]) => v !== undefined),
  ) as Partial<PatternMetrics>;
  const metrics = initialPatternMetrics(now, defined);
  const pattern: Pattern = {
    id: input.id,
    embedding: input.embedding.slice(),
    lora,
    timestepRange: Object.freeze([input.timestepRange[0], input.timestepRange[1]] as const),
    metrics,
    policy:
      input.policy === undefined
        ? { tier: 'private', ownerId: settings.defaultOwnerId, consent: false }
        : { ...input.policy },
    provenance:
      input.provenance === undefined
        ? { originKeyId: settings.defaultOwnerId, createdAt: metrics.createdAt, parentIds: [] }
        : { ...input.provenance, parentIds: [...input.provenance.parentIds] },
  };
  return {
    pattern,
    loraBytes: bytes,
    latencySamples: defined.avgLatencyMs === undefined ? 0 : Math.max(1, metrics.usageCount),
    denoisingSamples: defined.denoisingQuality === undefined ? 0 : Math.max(1, metrics.feedbackCount),
    users: new Set<string>(),
  };
}
