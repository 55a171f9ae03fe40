import { integerOption } from './index-arguments.js';

/** The numbers that shape an HNSW graph and its search, as every HNSW library names them. */
export interface HnswParameters {
  /** Graph degree (hnswlib M). */
  m: number;
  /** Candidate list size while building. */
  efConstruction: number;
  /** Candidate list size while searching (the library uses max(ef, k)). */
  ef: number;
  /** The library's random seed for level assignment. */
  seed: number;
}

/** The HNSW options of an adapter's factory; each is optional. */
export interface HnswParameterOptions {
  /** Graph degree (hnswlib M). Default 16. */
  m?: number;
  /** Candidate list size while building. Default 100. */
  efConstruction?: number;
  /** Candidate list size while searching (raised to k when k is larger). Default 64. */
  ef?: number;
  /** hnswlib's random seed for level assignment. Default 100. */
  seed?: number;
}

/** Defaults of the HNSW options (the values the 0.1.0 hnswlib adapters used). */
export const HNSW_DEFAULTS: Readonly<HnswParameters> = Object.freeze({ m: 16, efConstruction: 100, ef: 64, seed: 100 });
/** Largest accepted m. */
export const MAX_HNSW_M = 4096;
/** Largest accepted efConstruction and ef. */
export const MAX_HNSW_EF = 1 << 20;

/** `value` as a search breadth: an integer in [1, MAX_HNSW_EF]; INVALID_ARGUMENT naming `name` otherwise. */
export function checkEf(name: string, value: unknown): number {
  return integerOption(name, value, HNSW_DEFAULTS.ef, 1, MAX_HNSW_EF);
}

/** The options with defaults applied, each checked (INVALID_ARGUMENT naming the option). */
export function resolveHnswParameters(options: HnswParameterOptions): HnswParameters {
  return {
    m: integerOption('m', options.m, HNSW_DEFAULTS.m, 2, MAX_HNSW_M),
    efConstruction: integerOption('efConstruction', options.efConstruction, HNSW_DEFAULTS.efConstruction, 1, MAX_HNSW_EF),
    ef: checkEf('ef', options.ef),
    seed: integerOption('seed', options.seed, HNSW_DEFAULTS.seed, 0, 0xffff_ffff),
  };
}
