import { MicroLoraError, RANK_LIMIT, assertDimension, assertInteger, assertRank } from '@microlora/core';
import type { ComposeTarget } from './contract.js';

export interface ComposeBuffersOptions {
  /** Largest composite rank to hold: Σ rᵢ of the adapters composed (e.g. 5 × rank 2 = 10). */
  maxRank: number;
  inFeatures: number;
  outFeatures: number;
  /** Items whose weights fit the scratch without allocating. Default max(maxRank, 64). */
  maxItems?: number;
}

/** Allocates a ComposeTarget once; compose into it on every request with `composeInto`. */
export function createComposeBuffers(options: ComposeBuffersOptions): ComposeTarget {
  const { maxRank, inFeatures, outFeatures } = options;
  assertRank(maxRank, RANK_LIMIT, 'maxRank');
  assertDimension('inFeatures', inFeatures);
  assertDimension('outFeatures', outFeatures);
  const maxItems = options.maxItems ?? Math.max(maxRank, 64);
  assertInteger('maxItems', maxItems, 1, 1 << 20);
  return {
    maxRank,
    inFeatures,
    outFeatures,
    a: new Float32Array(maxRank * inFeatures),
    b: new Float32Array(maxRank * outFeatures),
    weights: new Float64Array(maxItems),
  };
}

/** Checks a caller-built target's fields so a malformed one fails loudly, not with out-of-bounds writes. */
export function assertComposeTarget(target: ComposeTarget): void {
  const ok =
    typeof target === 'object' &&
    target !== null &&
    Number.isInteger(target.maxRank) &&
    target.maxRank >= 1 &&
    target.a instanceof Float32Array &&
    target.b instanceof Float32Array &&
    target.weights instanceof Float64Array &&
    target.a.length >= target.maxRank * target.inFeatures &&
    target.b.length >= target.maxRank * target.outFeatures;
  if (!ok) {
    throw new MicroLoraError(
      'INVALID_ARGUMENT',
      'target must be a ComposeTarget with a (maxRank × inFeatures) and b (maxRank × outFeatures) Float32Arrays; create it with createComposeBuffers()',
    );
  }
}
