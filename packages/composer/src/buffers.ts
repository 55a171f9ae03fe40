import { MicroLoraError, RANK_LIMIT, assertDimension, assertInteger, assertRank } from '@microlora/core';
import type { SimdOps } from '@microlora/simd';
import { arenaOf } from './arena.js';
import type { ArenaBlock } from './arena.js';
import type { ComposeTarget } from './contract.js';
import { Int8Staging } from './int8-staging.js';

export interface ComposeBuffersOptions {
  /** Largest composite rank to hold: Σ rᵢ of the adapters composed (e.g. 5 × rank 2 = 10). */
  maxRank: number;
  inFeatures: number;
  outFeatures: number;
  /** Items whose weights fit the scratch without allocating. Default max(maxRank, 64). */
  maxItems?: number;
  /**
   * The SIMD backend you will compose with and apply the composite on. When it has an arena
   * (`backend.arena`, e.g. `@microlora/simd-wasm`), the buffers live in the backend's memory:
   * int8 inputs decompress there without copies, and the composite is applied in place.
   * Composing into such buffers uses this backend unless the compose options name another.
   */
  backend?: SimdOps;
}

/** Buffers from `createComposeBuffers`: a ComposeTarget you can release. */
export interface ComposeBuffers extends ComposeTarget {
  /** True when `a` and `b` live in the backend's arena (its WASM memory). */
  readonly inArena: boolean;
  /** True once dispose() ran. */
  readonly disposed: boolean;
  /**
   * Releases the buffers now: arena blocks return to the backend (otherwise they return when
   * the buffers and every composite from them are garbage-collected). Idempotent; composing
   * into disposed buffers, or reading their `a`/`b`, throws INVALID_ARGUMENT.
   */
  dispose(): void;
}

/** How arena buffers tell the composer which backend and staging area belong to them. */
export const ARENA_LINK: unique symbol = Symbol('microlora.composer.arena');

/** The link arena-backed buffers carry: their backend and where int8 inputs are staged. */
export interface ArenaLink {
  readonly backend: SimdOps;
  readonly staging: Int8Staging | undefined;
}

/** Present (under ARENA_LINK) on targets built by createComposeBuffers with an arena backend. */
export function arenaLinkOf(target: ComposeTarget): ArenaLink | undefined {
  return (target as { readonly [ARENA_LINK]?: ArenaLink })[ARENA_LINK];
}

function disposedError(): MicroLoraError {
  return new MicroLoraError('INVALID_ARGUMENT', 'these compose buffers were disposed; create new ones with createComposeBuffers()');
}

function throwDisposed(): never {
  throw disposedError();
}

/**
 * Buffers on the JS heap. `a`/`b` are own data fields, as in the plain object this used to be
 * (spreads and Object.keys keep working); dispose() turns them into throwing accessors.
 */
class HeapComposeBuffers implements ComposeBuffers {
  readonly inArena = false;
  #released = false;

  constructor(
    readonly maxRank: number,
    readonly inFeatures: number,
    readonly outFeatures: number,
    readonly a: Float32Array,
    readonly b: Float32Array,
    readonly weights: Float64Array,
  ) {}

  get disposed(): boolean {
    return this.#released;
  }

  dispose(): void {
    if (this.#released) return;
    this.#released = true;
    Object.defineProperty(this, 'a', { get: throwDisposed, enumerable: true, configurable: true });
    Object.defineProperty(this, 'b', { get: throwDisposed, enumerable: true, configurable: true });
  }
}

/**
 * Buffers in a backend's arena. `a`/`b` are re-read from the blocks on every access (a memory
 * growth detaches earlier arrays, and the blocks hand out fresh ones). A class, so every
 * instance shares one hidden class and the hot path's property loads stay monomorphic.
 */
class ArenaComposeBuffers implements ComposeBuffers {
  readonly inArena = true;
  readonly [ARENA_LINK]: ArenaLink;
  #released = false;

  constructor(
    readonly maxRank: number,
    readonly inFeatures: number,
    readonly outFeatures: number,
    readonly weights: Float64Array,
    private readonly blockA: ArenaBlock<Float32Array>,
    private readonly blockB: ArenaBlock<Float32Array>,
    private readonly blocks: readonly ArenaBlock<Float32Array | Int8Array>[],
    link: ArenaLink,
  ) {
    this[ARENA_LINK] = link;
  }

  get a(): Float32Array {
    if (this.#released) throwDisposed();
    return this.blockA.array;
  }

  get b(): Float32Array {
    if (this.#released) throwDisposed();
    return this.blockB.array;
  }

  get disposed(): boolean {
    return this.#released;
  }

  dispose(): void {
    if (this.#released) return;
    this.#released = true;
    for (const block of this.blocks) block.free();
  }
}

function alignUp16(n: number): number {
  return Math.ceil(n / 16) * 16;
}

function createArenaBuffers(
  backend: SimdOps,
  allocF32: (length: number) => ArenaBlock<Float32Array>,
  allocI8: ((length: number) => ArenaBlock<Int8Array>) | undefined,
  shape: { maxRank: number; inFeatures: number; outFeatures: number },
  weights: Float64Array,
): ComposeBuffers {
  const { maxRank, inFeatures, outFeatures } = shape;
  // Everything is allocated here, up front: composing then allocates nothing in the arena.
  const blocks: ArenaBlock<Float32Array | Int8Array>[] = [];
  try {
    const blockA = allocF32(maxRank * inFeatures);
    blocks.push(blockA);
    const blockB = allocF32(maxRank * outFeatures);
    blocks.push(blockB);
    let staging: Int8Staging | undefined;
    if (allocI8 !== undefined) {
      const bOffset = alignUp16(maxRank * inFeatures);
      const blockI8 = allocI8(bOffset + maxRank * outFeatures);
      blocks.push(blockI8);
      staging = new Int8Staging(blockI8, bOffset);
    }
    return new ArenaComposeBuffers(maxRank, inFeatures, outFeatures, weights, blockA, blockB, blocks, { backend, staging });
  } catch (err) {
    for (const block of blocks) block.free();
    throw err;
  }
}

/**
 * Allocates a ComposeTarget once; compose into it on every request with `composeInto`.
 * With a backend that has an arena (see `ComposeBuffersOptions.backend`) the buffers live in
 * its memory; otherwise they are ordinary Float32Arrays.
 */
export function createComposeBuffers(options: ComposeBuffersOptions): ComposeBuffers {
  const { maxRank, inFeatures, outFeatures, backend } = options;
  assertRank(maxRank, RANK_LIMIT, 'maxRank');
  assertDimension('inFeatures', inFeatures);
  assertDimension('outFeatures', outFeatures);
  const maxItems = options.maxItems ?? Math.max(maxRank, 64);
  assertInteger('maxItems', maxItems, 1, 1 << 20);
  const weights = new Float64Array(maxItems);
  const arena = arenaOf(backend);
  if (backend !== undefined && arena !== undefined) {
    const allocI8 = typeof arena.allocI8 === 'function' ? arena.allocI8.bind(arena) : undefined;
    return createArenaBuffers(backend, arena.allocF32.bind(arena), allocI8, { maxRank, inFeatures, outFeatures }, weights);
  }
  const a = new Float32Array(maxRank * inFeatures);
  const b = new Float32Array(maxRank * outFeatures);
  return new HeapComposeBuffers(maxRank, inFeatures, outFeatures, a, b, weights);
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
