import type { ContainerFormat } from '@microlora/vector-index';
import type { HnswContainerLayout } from '@microlora/vector-index/adapter-kit';

/**
 * hnswlib-wasm index container, version 1, little-endian:
 *   "MLHW" u16 version | u8 metric | u8×3 zero | u32 dimension | u32 m | u32 efConstruction |
 *   u32 ef | u32 seed | u32 capacity | u32 count | count × (u32 label, u32 byteLength, UTF-8 id) |
 *   u32 byteLength, hnswlib's own index file | u32 CRC-32
 */
export const HNSW_WASM_FORMAT: ContainerFormat = { magic: 'MLHW', version: 1, what: 'hnswlib-wasm index' };

/** The kit's HNSW container with the capacity stored: hnswlib-wasm's readIndex must be told it up front. */
export const HNSW_WASM_LAYOUT: HnswContainerLayout = { format: HNSW_WASM_FORMAT, storesCapacity: true };
