import { MicroLoraError, assertDimension, assertInteger, type Clock, type Pattern, type TimestepRange } from '@microlora/core';
import type { MicroLoraBank, MicroLoraBankOptions } from '@microlora/bank';
import {
  assertCompositionStrategy,
  getStrategy,
  type ComposeOptions,
  type CompositionStrategy,
  type StrategyName,
  type StrategyOptionsMap,
} from '@microlora/composer';
import type { SimdOps } from '@microlora/simd';
import type {
  InterpolationName,
  InterpolationOptions,
  InterpolationOptionsMap,
  InterpolationStrategy,
} from './interpolation/contract.js';
import { assertInterpolationStrategy, getInterpolation } from './interpolation/registry.js';

/** A vector index as the bank takes it (spelt through the bank so this package needs no index dependency). */
export type VectorIndex = MicroLoraBank['index'];

/** Most patterns one bank search may return (bounds the composite's rank). */
export const MAX_K = 1024;

/** Settings shared by every bank; the manager sets each bank's timestep range and index. */
export interface TaloraBankOptions
  extends Omit<MicroLoraBankOptions, 'timestepRange' | 'index' | 'onEvict' | 'timestepPolicy' | 'clock'> {
  /**
   * Makes the EMPTY index of bank `bank` (covering `range`). Called once per bank.
   * Default: the bank's own default, an exact flat cosine index of `dimension`.
   */
  createIndex?: (bank: number, range: TimestepRange) => VectorIndex;
}

/** A registered interpolation by name, with its typed options. */
export type NamedInterpolationConfig = {
  [N in InterpolationName]: {
    readonly strategy: N;
    readonly options?: InterpolationOptionsMap[N];
    /** Patterns retrieved per searched bank. Default: the strategy's defaultK (discrete 5, linear 3, soft-boundary 3). */
    readonly k?: number;
  };
}[InterpolationName];

/** An interpolation strategy object (registered or not), with its options. */
export interface CustomInterpolationConfig<O extends InterpolationOptions = InterpolationOptions> {
  readonly strategy: InterpolationStrategy<O>;
  readonly options?: O;
  readonly k?: number;
}

/** A name ('discrete', 'linear', 'soft-boundary'), a strategy object, or either with options and k. */
export type InterpolationSetting =
  | InterpolationName
  | InterpolationStrategy
  | NamedInterpolationConfig
  | CustomInterpolationConfig;

/** A registered composition strategy by name, with its typed options. */
export type NamedComposerConfig = {
  [N in StrategyName]: { readonly strategy: N; readonly options?: Omit<StrategyOptionsMap[N], 'backend'> };
}[StrategyName];

export interface CustomComposerConfig {
  readonly strategy: CompositionStrategy;
  readonly options?: Omit<ComposeOptions, 'backend'>;
}

/** How the patterns retrieved from one bank are composed. Default 'weighted-average'. */
export type ComposerSetting = StrategyName | CompositionStrategy | NamedComposerConfig | CustomComposerConfig;

/** Options of the manager that are not stored in a saved file (given again to load()). */
export interface TaloraRuntimeOptions {
  /** Default 'discrete' with k = 5. */
  interpolation?: InterpolationSetting;
  /** Default 'weighted-average'. */
  composer?: ComposerSetting;
  /** SIMD backend that decompresses int8 patterns while composing. Default: the quantization package's scalar path. */
  backend?: SimdOps;
  /** Time source of every bank (recency, lastUsed). Default the system clock. */
  clock?: Clock;
  /** Called once per evicted pattern (after it left every bank that held it). */
  onEvict?: (pattern: Pattern) => void;
}

export interface TaloraManagerOptions extends TaloraRuntimeOptions {
  /** Timestep boundaries: ≥ 2 entries, strictly increasing, 0 first, 1 last. Default [0, 1/3, 2/3, 1]. */
  boundaries?: readonly number[];
  /** Options of every bank; maxPatterns is per bank. */
  bank: TaloraBankOptions;
  /**
   * Shape of the adapters (every pattern must match). Default: taken from the
   * first inserted pattern. Needed before that only to compose an empty result.
   */
  inFeatures?: number;
  outFeatures?: number;
}

export interface ResolvedInterpolation {
  readonly strategy: InterpolationStrategy;
  readonly options: InterpolationOptions | undefined;
  readonly k: number;
}

export interface ResolvedComposer {
  readonly strategy: CompositionStrategy;
  /** The options passed on every compose (the manager's backend folded in). */
  readonly options: ComposeOptions;
}

function isPlainConfig(value: object): value is { strategy: unknown; options?: unknown; k?: unknown } {
  return 'strategy' in value;
}

export function resolveInterpolation(setting: InterpolationSetting | undefined): ResolvedInterpolation {
  let strategy: InterpolationStrategy;
  let options: InterpolationOptions | undefined;
  let k: unknown;
  const value: unknown = setting ?? 'discrete';
  if (typeof value === 'string') {
    strategy = getInterpolation(value);
  } else if (typeof value === 'object' && value !== null && isPlainConfig(value)) {
    const s = value.strategy;
    if (typeof s === 'string') strategy = getInterpolation(s);
    else {
      assertInterpolationStrategy(s);
      strategy = s;
    }
    if (value.options !== undefined && (typeof value.options !== 'object' || value.options === null)) {
      throw new MicroLoraError('INVALID_ARGUMENT', `interpolation options must be an object, got ${String(value.options)}`);
    }
    options = value.options as InterpolationOptions | undefined;
    k = value.k;
  } else {
    assertInterpolationStrategy(value);
    strategy = value;
  }
  strategy.validateOptions?.(options);
  const resolvedK = k ?? strategy.defaultK;
  assertInteger('interpolation k', resolvedK, 1, MAX_K);
  return { strategy, options, k: resolvedK };
}

export function resolveComposer(setting: ComposerSetting | undefined, backend: SimdOps | undefined): ResolvedComposer {
  let strategy: CompositionStrategy;
  let options: ComposeOptions = {};
  const value: unknown = setting ?? 'weighted-average';
  if (typeof value === 'string') {
    strategy = getStrategy(value);
  } else if (typeof value === 'object' && value !== null && isPlainConfig(value)) {
    const s = value.strategy;
    if (typeof s === 'string') strategy = getStrategy(s);
    else {
      assertCompositionStrategy(s);
      strategy = s;
    }
    if (value.options !== undefined) {
      if (typeof value.options !== 'object' || value.options === null) {
        throw new MicroLoraError('INVALID_ARGUMENT', `composer options must be an object, got ${String(value.options)}`);
      }
      options = { ...(value.options as ComposeOptions) };
    }
  } else {
    assertCompositionStrategy(value);
    strategy = value;
  }
  if (backend !== undefined) {
    if (typeof backend !== 'object' || backend === null || typeof backend.dequantizeI8 !== 'function') {
      throw new MicroLoraError('INVALID_ARGUMENT', 'backend must be a SimdOps object, e.g. getBackend() from @microlora/simd');
    }
    options = { ...options, backend };
  }
  return { strategy, options: Object.freeze(options) };
}

/** Validates an optional adapter shape given as inFeatures/outFeatures (both or neither). */
export function resolveShape(
  inFeatures: unknown,
  outFeatures: unknown,
): { inFeatures: number; outFeatures: number } | undefined {
  if (inFeatures === undefined && outFeatures === undefined) return undefined;
  if (inFeatures === undefined || outFeatures === undefined) {
    throw new MicroLoraError('INVALID_ARGUMENT', 'give both inFeatures and outFeatures, or neither (then the first pattern sets them)');
  }
  assertDimension('inFeatures', inFeatures);
  assertDimension('outFeatures', outFeatures);
  return { inFeatures, outFeatures };
}
