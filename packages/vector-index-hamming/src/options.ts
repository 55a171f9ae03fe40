import { MicroLoraError } from '@microlora/core';
import { resolveIndexOptions } from '@microlora/vector-index';
import type { Metric, VectorIndexOptions } from '@microlora/vector-index';
import { rotationLength } from './vector-encoding.js';

/** Options of createHammingIndex: the common index options plus the search pipeline's knobs. */
export interface HammingIndexOptions extends VectorIndexOptions {
  /**
   * Sign-code bits per vector, a multiple of 64 up to the rotation length (the next power
   * of two ≥ 64 and ≥ the dimension) and at most 16,384. Default min(rotation length, 1024):
   * 1024 for 768-d.
   */
  bits?: number;
  /** Leading code bits every search scans for every vector (stage 1): a multiple of 64 ≤ bits. Default min(bits, 256). */
  prefixBits?: number;
  /**
   * Fraction of the scanned vectors that stage 1 passes on, in (0, 1], for up to 10,000
   * scanned; larger scans pass fraction·(10,000 / scanned)^0.45 (7 % of 100,000 by default).
   * Default 0.2.
   */
  prefilter?: number;
  /** Candidates ranked by int8 values (stage 3); a search's `ef` overrides it. Default 96. */
  shortlist?: number;
  /** Candidates scored with the full 16-bit values at the end (at least 2·k are). Default 8. */
  rerank?: number;
  /**
   * Coarse lists: k-majority clusters of the codes, trained automatically once the index
   * holds 32 vectors per list and again when it doubles. 0 scans every vector. Pays off
   * only on clustered data. Default 0.
   */
  lists?: number;
  /**
   * Lists scanned per search (plus vectors added since the last training). Default
   * max(1, round(lists / 16)), recomputed when load() brings another number of lists.
   */
  probes?: number;
  /** Seed of the random rotation and of list training. Default 0. */
  seed?: number;
}

/** The pipeline's structure: fixed by the data layout, saved with the index. */
export interface HammingStructure {
  dimension: number;
  metric: Metric;
  bits: number;
  prefixBits: number;
  lists: number;
  seed: number;
}

/** Search knobs: per index, not saved. */
export interface HammingSearchSettings {
  prefilter: number;
  shortlist: number;
  rerank: number;
  /** Undefined: the default for the current number of lists (see defaultProbes). */
  probes: number | undefined;
}

/** Lists probed when the caller did not choose: about one in sixteen. */
export function defaultProbes(lists: number): number {
  return Math.max(1, Math.round(lists / 16));
}

export interface ResolvedHammingOptions {
  structure: HammingStructure;
  settings: HammingSearchSettings;
  /** The settings the caller chose explicitly: they override saved ones on load(). */
  chosen: Partial<HammingSearchSettings>;
  capacity: number;
}

/** Longest code: distances are u16 and histograms hold one bin per distance. */
const MAX_BITS = 16384;
/** Largest number of coarse lists (list ids and histogram bins stay small). */
export const MAX_LISTS = 65536;
const MAX_COUNT = 1 << 30;

function describe(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  return Object.prototype.toString.call(value);
}

function integer(name: string, value: unknown, min: number, max: number, hint: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new MicroLoraError('INVALID_ARGUMENT', `${name} must be an integer in [${min}, ${max}]${hint}, got ${describe(value)}`, {
      details: { name, value, min, max },
    });
  }
  return value;
}

function codeBits(name: string, value: unknown, max: number): number {
  const bits = integer(name, value, 64, max, '');
  if (bits % 64 !== 0) {
    throw new MicroLoraError('INVALID_ARGUMENT', `${name} must be a multiple of 64, got ${bits}; try ${Math.max(64, Math.round(bits / 64) * 64)}`, {
      details: { name, value },
    });
  }
  return bits;
}

/** Checks the code structure (also used for saved files, whose sizes are already range-checked). */
export function resolveStructure(
  dimension: number,
  metric: Metric,
  bits: unknown,
  prefixBits: unknown,
  lists: unknown,
  seed: unknown,
): HammingStructure {
  const rotation = rotationLength(dimension);
  const b = codeBits('bits', bits ?? Math.min(rotation, 1024), Math.min(rotation, MAX_BITS));
  const p = codeBits('prefixBits', prefixBits ?? Math.min(b, 256), b);
  const l = integer('lists', lists ?? 0, 0, MAX_LISTS, ' (0 disables coarse lists)');
  const s = integer('seed', seed ?? 0, 0, 0xffff_ffff, '');
  return { dimension, metric, bits: b, prefixBits: p, lists: l, seed: s };
}

/** Validates createHammingIndex options and applies defaults. */
export function resolveHammingOptions(options: HammingIndexOptions): ResolvedHammingOptions {
  const common = resolveIndexOptions(options);
  const structure = resolveStructure(common.dimension, common.metric, options.bits, options.prefixBits, options.lists, options.seed);
  const chosen: Partial<HammingSearchSettings> = {};
  if (options.prefilter !== undefined) chosen.prefilter = prefilterFraction(options.prefilter);
  if (options.shortlist !== undefined) chosen.shortlist = integer('shortlist', options.shortlist, 1, MAX_COUNT, '');
  if (options.rerank !== undefined) chosen.rerank = integer('rerank', options.rerank, 1, MAX_COUNT, '');
  if (options.probes !== undefined) chosen.probes = integer('probes', options.probes, 1, Math.max(1, structure.lists), ' (at most lists)');
  return { structure, settings: { ...DEFAULT_SETTINGS, ...chosen }, chosen, capacity: common.capacity };
}

/** Search settings when none are chosen. */
export const DEFAULT_SETTINGS: Readonly<HammingSearchSettings> = { prefilter: 0.2, shortlist: 96, rerank: 8, probes: undefined };

function prefilterFraction(value: unknown): number {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    throw new MicroLoraError('INVALID_ARGUMENT', `prefilter must be a fraction in (0, 1], got ${describe(value)}`, {
      details: { prefilter: value },
    });
  }
  return value;
}

/** Checks saved settings (INVALID_ARGUMENT on any defect; the codec turns it into CORRUPT_DATA). */
export function resolveSavedSettings(prefilter: number, shortlist: number, rerank: number, probes: number, lists: number): HammingSearchSettings {
  return {
    prefilter: prefilterFraction(prefilter),
    shortlist: integer('shortlist', shortlist, 1, MAX_COUNT, ''),
    rerank: integer('rerank', rerank, 1, MAX_COUNT, ''),
    probes: probes === 0 ? undefined : integer('probes', probes, 1, Math.max(1, lists), ' (at most lists)'),
  };
}

/** A search's `ef`: a positive integer, or undefined. */
export function resolveEf(ef: unknown, fallback: number): number {
  if (ef === undefined) return fallback;
  return integer('ef', ef, 1, MAX_COUNT, '');
}
