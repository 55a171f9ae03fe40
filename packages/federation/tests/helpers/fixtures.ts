import { SeededRng, initialPatternMetrics, loraFromFactors } from '@microlora/core';
import type { CompressedLora, LoraWeights, Pattern, SharingPolicy } from '@microlora/core';
import { compress } from '@microlora/quantization';

export const NOW = 1_700_000_000_000;
export const DIM = 8;
export const IN = 16;
export const OUT = 12;

export function makeWeights(seed: number, rank = 2, inFeatures = IN, outFeatures = OUT, std = 0.1): LoraWeights {
  const rng = new SeededRng(seed);
  return loraFromFactors({
    rank,
    inFeatures,
    outFeatures,
    a: rng.fillNormal(new Float32Array(rank * inFeatures), std),
    b: rng.fillNormal(new Float32Array(rank * outFeatures), std),
  });
}

export function makeLora(seed: number, rank = 2, inFeatures = IN, outFeatures = OUT): CompressedLora {
  return compress(makeWeights(seed, rank, inFeatures, outFeatures), 'per-row');
}

export interface PatternSpec {
  id: string;
  seed?: number;
  policy?: Partial<SharingPolicy>;
  originKeyId?: string;
  createdAt?: number;
  rank?: number;
  lora?: CompressedLora;
}

/** A consented public pattern unless told otherwise; unsigned. */
export function makePattern(spec: PatternSpec): Pattern {
  const seed = spec.seed ?? 1;
  const rng = new SeededRng(seed + 1000);
  const createdAt = spec.createdAt ?? NOW - 3_600_000;
  return {
    id: spec.id,
    embedding: rng.fillNormal(new Float32Array(DIM)),
    lora: spec.lora ?? makeLora(seed, spec.rank ?? 2),
    timestepRange: [0.25, 0.75],
    metrics: initialPatternMetrics(createdAt, { successRate: 0.8, feedbackCount: 12, usageCount: 30, distinctUsers: 7, avgLatencyMs: 1.5 }),
    policy: { tier: 'public', ownerId: `owner-${spec.id}`, consent: true, ...spec.policy },
    provenance: { originKeyId: spec.originKeyId ?? '', createdAt, parentIds: [] },
  };
}

/** Generous import limits for the fixtures' shapes. */
export function limits(overrides: Record<string, number> = {}) {
  return { maxBytes: 1 << 20, maxPatterns: 64, maxNorm: 100, dimension: DIM, inFeatures: IN, outFeatures: OUT, ...overrides };
}
