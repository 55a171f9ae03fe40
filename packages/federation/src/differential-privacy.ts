import { MicroLoraError, SeededRng, assertFiniteNumber, loraFromFactors } from '@microlora/core';
import type { CompressedLora, LoraWeights, Seed } from '@microlora/core';
import { compress, decompress } from '@microlora/quantization';
import { randomU32 } from './webcrypto.js';

/** Gaussian-mechanism parameters of a release. */
export interface DpOptions {
  /** ε in (0, 1): the classic Gaussian mechanism's bound holds only there. */
  epsilon: number;
  /** δ in (0, 1). */
  delta: number;
  /** L2 bound C on the released factor vector [A; Bᵀ] (the sensitivity). */
  clipNorm: number;
  /** Seed for reproducible noise (tests only). Default: crypto.getRandomValues. */
  seed?: Seed;
}

/** The privacy spent by one release, as recorded in a bundle. */
export interface DpRecord {
  epsilon: number;
  delta: number;
  clipNorm: number;
  /** Noise standard deviation per coordinate. */
  sigma: number;
}

/** σ = C·√(2 ln(1.25/δ))/ε (Dwork & Roth 2014, Theorem A.1; valid for ε < 1). */
export function gaussianSigma(epsilon: number, delta: number, clipNorm: number): number {
  return (clipNorm * Math.sqrt(2 * Math.log(1.25 / delta))) / epsilon;
}

function assertOpenUnit(name: string, value: unknown, why: string): asserts value is number {
  assertFiniteNumber(name, value);
  if (!(value > 0 && value < 1)) {
    throw new MicroLoraError('OUT_OF_RANGE', `${name} must be in (0, 1), got ${value}; ${why}`, { details: { name, value } });
  }
}

/** Validates DP options and derives σ. */
export function dpRecordOf(options: DpOptions): DpRecord {
  if (typeof options !== 'object' || options === null) {
    throw new MicroLoraError('INVALID_ARGUMENT', 'dp must be { epsilon, delta, clipNorm, seed? }');
  }
  assertOpenUnit('dp.epsilon', options.epsilon, 'the Gaussian mechanism σ = C·√(2 ln(1.25/δ))/ε is only proven for ε < 1');
  assertOpenUnit('dp.delta', options.delta, 'δ is a probability, typically below 1/number-of-users');
  assertFiniteNumber('dp.clipNorm', options.clipNorm);
  if (!(options.clipNorm > 0)) {
    throw new MicroLoraError('OUT_OF_RANGE', `dp.clipNorm must be > 0, got ${options.clipNorm}`, { details: { clipNorm: options.clipNorm } });
  }
  const { epsilon, delta, clipNorm } = options;
  return { epsilon, delta, clipNorm, sigma: gaussianSigma(epsilon, delta, clipNorm) };
}

/** A source of standard normal samples. */
export interface NormalSource {
  normal(): number;
}

const TWO_POW_53 = 2 ** 53;

/** Box–Muller over 53-bit uniforms from crypto.getRandomValues, drawn in blocks. */
class CryptoNormalSource implements NormalSource {
  private readonly words = new Uint32Array(1024);
  private pos = this.words.length;
  private spare: number | undefined;

  private uniform(): number {
    if (this.pos + 2 > this.words.length) {
      randomU32(this.words);
      this.pos = 0;
    }
    const hi = (this.words[this.pos++] as number) >>> 5;
    const lo = (this.words[this.pos++] as number) >>> 6;
    return (hi * 67_108_864 + lo) / TWO_POW_53;
  }

  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }
}

/** Seeded (reproducible, not secret) or cryptographic normals. */
export function normalSource(seed: Seed | undefined): NormalSource {
  return seed === undefined ? new CryptoNormalSource() : new SeededRng(seed);
}

function clipAndNoise(values: Float64Array, record: DpRecord, noise: NormalSource): void {
  let norm2 = 0;
  for (const v of values) norm2 += v * v;
  const norm = Math.sqrt(norm2);
  const factor = norm > record.clipNorm ? record.clipNorm / norm : 1;
  for (let i = 0; i < values.length; i++) values[i] = (values[i] as number) * factor + record.sigma * noise.normal();
}

/**
 * The Gaussian mechanism on an adapter's factors: the vector [A; Bᵀ] is scaled
 * to L2 norm ≤ clipNorm, then N(0, σ²) is added to every coordinate. Shape,
 * alpha and layer mask are released unchanged. Returns fresh f32 factors.
 */
export function privatizeWeights(lora: LoraWeights, record: DpRecord, noise: NormalSource): LoraWeights {
  const { a, b } = lora;
  const values = new Float64Array(a.length + b.length);
  values.set(a);
  values.set(b, a.length);
  clipAndNoise(values, record, noise);
  return loraFromFactors({
    rank: lora.rank,
    inFeatures: lora.inFeatures,
    outFeatures: lora.outFeatures,
    alpha: lora.alpha,
    layerMask: lora.layerMask,
    a: Float32Array.from(values.subarray(0, a.length)),
    b: Float32Array.from(values.subarray(a.length)),
  });
}

/** privatizeWeights for an int8 adapter: decompress, clip + noise, re-quantise with the same scheme (and group size). */
export function privatizeCompressed(c: CompressedLora, record: DpRecord, noise: NormalSource): CompressedLora {
  const noised = privatizeWeights(decompress(c), record, noise);
  return c.scheme === 'grouped' ? compress(noised, 'grouped', { groupSize: c.a.groupSize }) : compress(noised, c.scheme);
}

/**
 * One-call DP release of an adapter's weights with `options` (validated). Each
 * call spends (ε, δ) again: releases of the same adapter compose.
 */
export function addGaussianNoise(lora: LoraWeights, options: DpOptions): LoraWeights {
  return privatizeWeights(lora, dpRecordOf(options), normalSource(options.seed));
}
