import { MicroLoraError } from './errors.js';
import { SeededRng, type Seed } from './rng.js';
import {
  RANK_LIMIT,
  assertAllFinite,
  assertDimension,
  assertFiniteNumber,
  assertFloat32Array,
  assertLength,
  assertRank,
} from './validate.js';

/** All 64 layer flags set: the adapter applies to every layer. */
export const ALL_LAYERS = 0xffff_ffff_ffff_ffffn;

/**
 * A LoRA adapter, ΔW = scaling · B · A with scaling = alpha / rank.
 *
 * Both factors are stored rank-major so that the shrink (a dot per rank) and the
 * expand (an axpy per rank) are contiguous loops:
 * - `a` is rank × inFeatures row-major: `a[r*in + i] = A[r][i]`;
 * - `b` holds B transposed, rank × outFeatures row-major: `b[r*out + o] = B[o][r]`.
 */
export interface LoraWeights {
  readonly rank: number;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly alpha: number;
  /** alpha / rank, precomputed. */
  readonly scaling: number;
  readonly a: Float32Array;
  readonly b: Float32Array;
  /** Bit i set ⇔ the adapter applies to layer i (64 layers). */
  readonly layerMask: bigint;
}

export interface LoraShape {
  rank: number;
  inFeatures: number;
  outFeatures: number;
}

export interface CreateLoraOptions extends LoraShape {
  /** Default: 2 × rank, so scaling = 2. */
  alpha?: number;
  /** Seed of A's initialisation. Required: initialisation is always reproducible. */
  seed: Seed;
  layerMask?: bigint;
  /** Half-width of A's uniform init; default 1/√inFeatures (PEFT's Kaiming-uniform default). */
  initBound?: number;
}

export interface LoraFromFactorsOptions extends LoraShape {
  a: Float32Array;
  b: Float32Array;
  alpha?: number;
  layerMask?: bigint;
}

function assertLayerMask(mask: unknown): asserts mask is bigint {
  if (typeof mask !== 'bigint' || mask < 0n || mask > ALL_LAYERS) {
    throw new MicroLoraError('INVALID_ARGUMENT', `layerMask must be a bigint in [0, 2^64), got ${String(mask)}`, {
      details: { layerMask: mask },
    });
  }
}

/** Validates a shape: dimensions in range, rank in [1, maxRank]. */
export function assertLoraShape(shape: LoraShape, maxRank: number = RANK_LIMIT): void {
  assertRank(shape.rank, maxRank);
  assertDimension('inFeatures', shape.inFeatures);
  assertDimension('outFeatures', shape.outFeatures);
}

/**
 * Wraps existing factors (not copied) as LoraWeights after validating the shape,
 * lengths, finiteness, alpha and layer mask.
 */
export function loraFromFactors(options: LoraFromFactorsOptions): LoraWeights {
  const { rank, inFeatures, outFeatures, a, b } = options;
  assertLoraShape(options);
  assertFloat32Array('a', a);
  assertFloat32Array('b', b);
  assertLength('a', a, rank * inFeatures);
  assertLength('b', b, rank * outFeatures);
  assertAllFinite('a', a);
  assertAllFinite('b', b);
  const alpha = options.alpha ?? 2 * rank;
  assertFiniteNumber('alpha', alpha);
  const layerMask = options.layerMask ?? ALL_LAYERS;
  assertLayerMask(layerMask);
  return { rank, inFeatures, outFeatures, alpha, scaling: alpha / rank, a, b, layerMask };
}

/** A new adapter: A uniform in ±initBound from a seeded PRNG, B zero (so ΔW starts at 0). */
export function createLora(options: CreateLoraOptions): LoraWeights {
  assertLoraShape(options);
  const { rank, inFeatures, outFeatures } = options;
  const bound = options.initBound ?? 1 / Math.sqrt(inFeatures);
  assertFiniteNumber('initBound', bound, 0);
  const rng = new SeededRng(options.seed);
  const a = rng.fillUniform(new Float32Array(rank * inFeatures), -bound, bound);
  const b = new Float32Array(rank * outFeatures);
  return loraFromFactors({ ...options, a, b });
}

/** The zero adapter of a shape (both factors zero). */
export function zeroLora(shape: LoraShape, alpha?: number): LoraWeights {
  assertLoraShape(shape);
  return loraFromFactors({
    ...shape,
    a: new Float32Array(shape.rank * shape.inFeatures),
    b: new Float32Array(shape.rank * shape.outFeatures),
    ...(alpha === undefined ? {} : { alpha }),
  });
}

/** A deep copy with fresh buffers. */
export function cloneLora(lora: LoraWeights): LoraWeights {
  return { ...lora, a: lora.a.slice(), b: lora.b.slice() };
}

/** Number of trainable parameters: rank × (in + out). */
export function loraParamCount(shape: LoraShape): number {
  return shape.rank * (shape.inFeatures + shape.outFeatures);
}

/**
 * ΔW = scaling · B · A as a dense outFeatures × inFeatures row-major matrix,
 * accumulated in float64. O(out·in·rank): for tests and references, not hot paths.
 */
export function materializeDelta(lora: LoraWeights): Float64Array {
  const { rank, inFeatures: n, outFeatures: m, a, b, scaling } = lora;
  const delta = new Float64Array(m * n);
  for (let r = 0; r < rank; r++) {
    const aRow = r * n;
    const bRow = r * m;
    for (let o = 0; o < m; o++) {
      const coeff = scaling * (b[bRow + o] as number);
      if (coeff === 0) continue;
      const dRow = o * n;
      for (let i = 0; i < n; i++) delta[dRow + i] = (delta[dRow + i] as number) + coeff * (a[aRow + i] as number);
    }
  }
  return delta;
}
