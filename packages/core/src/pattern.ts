import type { LoraWeights } from './lora.js';

/**
 * int8 quantisation schemes.
 * - `per-tensor`: one symmetric scale per factor (the reference document's scheme);
 * - `per-row`: one symmetric scale per rank row of each factor;
 * - `asymmetric`: one scale and zero point per rank row (uses the full int8 range);
 * - `grouped`: one symmetric scale per `groupSize` consecutive values.
 */
export type QuantScheme = 'per-tensor' | 'per-row' | 'asymmetric' | 'grouped';

/**
 * One int8-quantised factor. Value i decodes as
 * `(data[i] - (zeroPoints?.[g] ?? 0)) * scales[g]` with `g = floor(i / groupSize)`.
 */
export interface QuantizedTensor {
  readonly data: Int8Array;
  readonly scales: Float32Array;
  /** Present only for asymmetric schemes; same length as `scales`. */
  readonly zeroPoints: Int16Array | null;
  /** Consecutive values sharing one scale (the row length for per-row, the length for per-tensor). */
  readonly groupSize: number;
}

/** An int8-compressed LoRA adapter (the stored form of a pattern's weights). */
export interface CompressedLora {
  readonly scheme: QuantScheme;
  readonly rank: number;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly alpha: number;
  readonly layerMask: bigint;
  /** A, rank × inFeatures, rank-major (same layout as LoraWeights.a). */
  readonly a: QuantizedTensor;
  /** Bᵀ, rank × outFeatures, rank-major (same layout as LoraWeights.b). */
  readonly b: QuantizedTensor;
}

/** A timestep range [start, end] within [0, 1]. */
export type TimestepRange = readonly [start: number, end: number];

/** Quality metrics of a stored pattern, updated from feedback. Times are ms since the epoch. */
export interface PatternMetrics {
  /** Mean feedback quality in [0, 1]. */
  successRate: number;
  /** Feedback events folded into successRate. */
  feedbackCount: number;
  /** Times the pattern was retrieved and used. */
  usageCount: number;
  /** Mean request latency when the pattern was used, in ms. */
  avgLatencyMs: number;
  /** Denoising quality score in [0, 1] (model-specific). */
  denoisingQuality: number;
  /** Distinct users whose requests the pattern served (drives sharing promotion). */
  distinctUsers: number;
  lastUsed: number;
  createdAt: number;
}

/** Sharing tiers from most to least restricted. */
export type SharingTier = 'private' | 'group' | 'tenant' | 'public';

export const SHARING_TIERS: readonly SharingTier[] = ['private', 'group', 'tenant', 'public'];

/** Who may receive a pattern. Promotion rules live in @microlora/federation. */
export interface SharingPolicy {
  tier: SharingTier;
  /** Identifier of the owning user. */
  ownerId: string;
  groupId?: string;
  tenantId?: string;
  /** The owner's explicit consent to share beyond `private`. */
  consent: boolean;
}

/** Where a pattern came from, and the evidence that it was not altered. */
export interface Provenance {
  /** Identifier of the key that signed the pattern (e.g. a fingerprint of its public key). */
  originKeyId: string;
  /** ms since the epoch. */
  createdAt: number;
  /** Patterns this one was derived from (consolidation, aggregation). */
  parentIds: readonly string[];
  /** Hex SHA-256 of the canonical binary pattern, when signed. */
  contentHash?: string;
  /** Base64 Ed25519 signature over the content hash, when signed. */
  signature?: string;
}

/** A stored adapter together with the query embedding it serves. */
export interface Pattern {
  id: string;
  embedding: Float32Array;
  lora: CompressedLora;
  timestepRange: TimestepRange;
  metrics: PatternMetrics;
  policy: SharingPolicy;
  provenance: Provenance;
}

/** What callers insert: the weights may still be f32 (the bank compresses them). */
export interface PatternInput extends Omit<Pattern, 'lora' | 'metrics' | 'policy' | 'provenance'> {
  lora: CompressedLora | LoraWeights;
  metrics?: Partial<PatternMetrics>;
  policy?: SharingPolicy;
  provenance?: Provenance;
}

/** True for an int8-compressed adapter, false for f32 LoraWeights. */
export function isCompressedLora(lora: CompressedLora | LoraWeights): lora is CompressedLora {
  return 'scheme' in lora;
}

/** Fresh metrics for a pattern created at `now`. */
export function initialPatternMetrics(now: number, overrides: Partial<PatternMetrics> = {}): PatternMetrics {
  return {
    successRate: 0.5,
    feedbackCount: 0,
    usageCount: 0,
    avgLatencyMs: 0,
    denoisingQuality: 0,
    distinctUsers: 0,
    lastUsed: now,
    createdAt: now,
    ...overrides,
  };
}

/** The most restrictive policy: private, no consent. */
export function privatePolicy(ownerId: string): SharingPolicy {
  return { tier: 'private', ownerId, consent: false };
}
