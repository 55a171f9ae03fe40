import { MicroLoraError, isCompressedLora } from '@microlora/core';
import type { LoraWeights } from '@microlora/core';
import { dequantizeTensorInto } from '@microlora/quantization';
import type { SimdOps } from '@microlora/simd';
import { arenaLinkOf, assertComposeTarget } from './buffers.js';
import type { ComposeItem, ComposeOptions, ComposeTarget } from './contract.js';
import { validateComposeItems } from './items.js';
import type { Int8Staging } from './int8-staging.js';
import { rowViews, targetViews } from './target-views.js';
import type { ComposeShape } from './items.js';

export interface ComposeExactOptions extends ComposeOptions {
  /** Preallocated buffers to write into; without one, exactly-sized buffers are allocated. */
  readonly target?: ComposeTarget;
}

/** Σ rᵢ over the items whose weight is non-zero: the rank of the exact composite. */
export function stackedRank(items: readonly ComposeItem[], weights: ArrayLike<number>): number {
  let rank = 0;
  for (let i = 0; i < items.length; i++) if (weights[i] !== 0) rank += (items[i] as ComposeItem).lora.rank;
  return rank;
}

/** A target of exactly `rank` rows, for the allocating paths. */
export function exactTarget(rank: number, shape: ComposeShape): ComposeTarget {
  const maxRank = Math.max(rank, 1);
  return {
    maxRank,
    inFeatures: shape.inFeatures,
    outFeatures: shape.outFeatures,
    a: new Float32Array(maxRank * shape.inFeatures),
    b: new Float32Array(maxRank * shape.outFeatures),
    weights: new Float64Array(0),
  };
}

/** The rank-1 zero adapter written into the target: what composing nothing yields. */
export function zeroInto(target: ComposeTarget): LoraWeights {
  const { a, b } = rowViews(target, 0, 1);
  a.fill(0);
  b.fill(0);
  return { rank: 1, inFeatures: target.inFeatures, outFeatures: target.outFeatures, alpha: 1, scaling: 1, a, b, layerMask: 0n };
}

/** Whether two arrays share any byte (same buffer, intersecting ranges). */
function overlaps(x: Float32Array, y: Float32Array): boolean {
  if (x.buffer !== y.buffer) return false;
  const xs = x.byteOffset;
  const ys = y.byteOffset;
  return xs < ys + y.byteLength && ys < xs + x.byteLength;
}

/**
 * An f32 input sharing memory with the target would be overwritten while it is read. Ranges,
 * not buffers, are compared: arena targets share one WASM memory with the backend's other arrays.
 */
export function assertNoAlias(index: number, lora: LoraWeights, target: ComposeTarget): void {
  const { a, b } = target;
  if (overlaps(lora.a, a) || overlaps(lora.a, b) || overlaps(lora.b, a) || overlaps(lora.b, b)) {
    throw new MicroLoraError(
      'INVALID_ARGUMENT',
      `items[${index}].lora shares memory with the compose target (a composite of the same target?); copy it with cloneLora() or use another target`,
      { details: { index } },
    );
  }
}

/**
 * The backend that decompresses into `target`: the caller's, else the one arena buffers were
 * created for (their memory is its memory), else none (the built-in JS kernel).
 */
export function decompressBackend(target: ComposeTarget, backend: SimdOps | undefined): SimdOps | undefined {
  return backend ?? arenaLinkOf(target)?.backend;
}

/**
 * Where int8 inputs are staged before `backend` decompresses them into `target`: the target's
 * arena staging when `backend` owns that arena (dequantisation then reads and writes backend
 * memory only: no copies by the backend, no allocation, no growth), else none.
 */
export function stagingFor(target: ComposeTarget, backend: SimdOps | undefined): Int8Staging | undefined {
  const link = arenaLinkOf(target);
  return link !== undefined && backend === link.backend ? link.staging : undefined;
}

/**
 * Rank stacking, the exact composition: A' = [f₁A₁; …; fₖAₖ] with fᵢ = wᵢ·sᵢ,
 * B'ᵀ = [B₁ᵀ; …; Bₖᵀ], alpha' = rank' = Σ rᵢ (scaling 1), so ΔW' = Σ wᵢ ΔWᵢ.
 * int8 items decompress straight into their rows with fᵢ folded in. Items with
 * wᵢ = 0 are skipped; if none remain the result is the rank-1 zero adapter.
 * Items (validateComposeItems: int8 factors are not re-checked here), weights and
 * target must already be validated (see composeExact).
 */
export function stackInto(
  items: readonly ComposeItem[],
  weights: ArrayLike<number>,
  target: ComposeTarget,
  backend: SimdOps | undefined,
): LoraWeights {
  const rank = stackedRank(items, weights);
  if (rank > target.maxRank) {
    throw new MicroLoraError(
      'CAPACITY_EXCEEDED',
      `the composite has rank ${rank} (Σ of the input ranks) but the target holds ${target.maxRank}; create the buffers with maxRank ≥ ${rank}`,
      { details: { rank, maxRank: target.maxRank } },
    );
  }
  if (rank === 0) return zeroInto(target);
  const { inFeatures: n, outFeatures: m } = target;
  const views = targetViews(target);
  const { a: ta, b: tb } = views;
  const simd = decompressBackend(target, backend);
  const staging = stagingFor(target, simd);
  let layerMask = 0n;
  let row = 0;
  for (let i = 0; i < items.length; i++) {
    const w = weights[i] as number;
    if (w === 0) continue;
    const lora = (items[i] as ComposeItem).lora;
    const r = lora.rank;
    const factor = w * (lora.alpha / r);
    if (!Number.isFinite(factor)) {
      throw new MicroLoraError('NON_FINITE', `items[${i}]: weight ${w} × scaling ${lora.alpha / r} overflows to ${factor}`, {
        details: { index: i, weight: w, alpha: lora.alpha, rank: r },
      });
    }
    if (isCompressedLora(lora)) {
      // validateComposeItems checked the tensors' shapes; the rows are exactly r × n and r × m.
      const c = staging === undefined ? lora : staging.stage(lora);
      const rows = views.rows(row, r);
      dequantizeTensorInto(c.a, factor, rows.a, 0, simd);
      dequantizeTensorInto(c.b, 1, rows.b, 0, simd);
    } else {
      assertNoAlias(i, lora, target);
      const src = lora.a;
      const base = row * n;
      for (let j = 0; j < src.length; j++) ta[base + j] = factor * (src[j] as number);
      tb.set(lora.b, row * m);
    }
    const mask = lora.layerMask;
    if (mask !== layerMask && mask !== 0n) layerMask |= mask; // BigInt | allocates; adapters often share a mask
    row += r;
  }
  const { a, b } = views.rows(0, rank);
  return { rank, inFeatures: n, outFeatures: m, alpha: rank, scaling: 1, a, b, layerMask };
}

/** Every weight must be a finite number; `who` names the source for the message. */
export function assertWeights(weights: ArrayLike<number>, count: number, who: string): void {
  if (weights.length < count) {
    throw new MicroLoraError('DIMENSION_MISMATCH', `${who} gave ${weights.length} weights for ${count} items`, {
      details: { weights: weights.length, items: count },
    });
  }
  for (let i = 0; i < count; i++) {
    const w = weights[i];
    if (typeof w !== 'number' || !Number.isFinite(w)) {
      throw new MicroLoraError('NON_FINITE', `${who} gave weight ${String(w)} for items[${i}]; weights must be finite`, {
        details: { index: i, weight: w },
      });
    }
  }
}

/**
 * ΔW' = Σ wᵢ ΔWᵢ exactly, by rank stacking, for any weights you choose (the
 * building block of every exact strategy). Validates items and weights; writes
 * into `options.target` when given (the result's a/b are views of it), else
 * allocates exactly Σ rᵢ rows. Empty items need `inFeatures/outFeatures`.
 */
export function composeExact(
  items: readonly ComposeItem[],
  weights: ArrayLike<number>,
  options: ComposeExactOptions = {},
): LoraWeights {
  const { target } = options;
  if (target !== undefined) assertComposeTarget(target);
  const shape = validateComposeItems(items, target ?? options);
  if (shape === undefined) throw missingShape('composeExact');
  if (weights.length !== items.length) {
    throw new MicroLoraError('DIMENSION_MISMATCH', `composeExact got ${weights.length} weights for ${items.length} items`, {
      details: { weights: weights.length, items: items.length },
    });
  }
  assertWeights(weights, items.length, 'composeExact');
  return stackInto(items, weights, target ?? exactTarget(stackedRank(items, weights), shape), options.backend);
}

/** The error for composing zero items without a shape. */
export function missingShape(who: string): MicroLoraError {
  return new MicroLoraError(
    'INVALID_ARGUMENT',
    `${who}: composing zero items yields the zero adapter, whose shape must come from options.inFeatures and options.outFeatures`,
  );
}
