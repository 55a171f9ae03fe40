import type { SimdOps } from '@microlora/simd';

/** A block of a backend's memory (e.g. @microlora/simd-wasm's WasmF32Block / WasmI8Block). */
export interface ArenaBlock<V extends Float32Array | Int8Array> {
  /** The block as a typed array; re-read after the backend's memory may have grown. */
  readonly array: V;
  free(): void;
}

/**
 * What the composer uses of a backend's arena: blocks in the backend's own memory whose
 * arrays (and their subarrays) the backend's ops read and write in place, without copies.
 * Duck-typed so the composer never imports a backend package.
 */
export interface ComposeArena {
  allocF32(length: number): ArenaBlock<Float32Array>;
  allocI8?(length: number): ArenaBlock<Int8Array>;
}

/** The backend's arena when it has one (`backend.arena.allocF32`), else undefined. */
export function arenaOf(backend: SimdOps | undefined): ComposeArena | undefined {
  if (typeof backend !== 'object' || backend === null || !('arena' in backend)) return undefined;
  const arena = (backend as { arena?: unknown }).arena;
  if (typeof arena !== 'object' || arena === null) return undefined;
  return typeof (arena as Partial<ComposeArena>).allocF32 === 'function' ? (arena as ComposeArena) : undefined;
}
