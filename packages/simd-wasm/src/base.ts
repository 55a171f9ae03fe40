// Everything of the package without its side effect: importing this registers nothing.
export {
  createWasmBackend,
  initWasmBackend,
  WASM_BACKEND_PRIORITY,
  DEFAULT_ADAPTER_CACHE_BYTES,
  DEFAULT_INITIAL_MEMORY_BYTES,
} from './backend.js';
export type { WasmSimdOps, WasmBackendOptions, WasmMemoryStats } from './backend.js';
export { WasmArena, WasmF32Block, WasmI8Block, WasmLora } from './arena.js';
export { wasmSimdUnavailableReason, WASM_MODULE_BYTE_LENGTH, SYNC_COMPILE_LIMIT_BYTES } from './module.js';
