export { createHnswIndex } from './hnsw-index.js';
export type { HnswIndex, HnswIndexOptions } from './hnsw-index.js';
export { loadHnswlibWasm } from './hnswlib-wasm.js';
export type { HnswlibWasmModule, WasmHnsw } from './hnswlib-wasm.js';
export { HNSW_WASM_FORMAT } from './hnsw-codec.js';
export { listPersistedIndexes, deletePersistedIndex, PERSIST_DATABASE, PERSIST_STORE } from './persisted.js';
