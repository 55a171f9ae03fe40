import type { ContainerFormat } from '@microlora/vector-index';
import type { HnswContainerLayout } from '@microlora/vector-index/adapter-kit';

/**
 * hnswlib-node index container, version 1, little-endian:
 *   "MLHN" u16 version | u8 metric | u8×3 zero | u32 dimension | u32 m | u32 efConstruction |
 *   u32 ef | u32 seed | u32 count | count × (u32 label, u32 byteLength, UTF-8 id) |
 *   u32 byteLength, hnswlib's own index file | u32 CRC-32
 */
export const HNSW_NODE_FORMAT: ContainerFormat = { magic: 'MLHN', version: 1, what: 'hnswlib-node index' };

/** The kit's HNSW container without a stored capacity: hnswlib-node's readIndex takes it from the graph file. */
export const HNSW_NODE_LAYOUT: HnswContainerLayout = { format: HNSW_NODE_FORMAT, storesCapacity: false };
