import { registerBackend } from '@microlora/simd';
import { WASM_BACKEND_PRIORITY, createWasmBackend } from './backend.js';

export {
  createWasmBackend,
  initWasmBackend,
  WASM_BACKEND_PRIORITY,
  DEFAULT_ADAPTER_CACHE_BYTES,
  DEFAULT_INITIAL_MEMORY_BYTES,
  WasmArena,
  WasmF32Block,
  WasmI8Block,
  WasmLora,
  wasmSimdUnavailableReason,
  WASM_MODULE_BYTE_LENGTH,
  SYNC_COMPILE_LIMIT_BYTES,
} from './base.js';
export type { WasmSimdOps, WasmBackendOptions, WasmMemoryStats } from './base.js';

// The one side effect of this package: getBackend() prefers "wasm" (2) over "js" (1) and,
// where WebAssembly SIMD is missing, records why and falls back to "js".
registerBackend('wasm', createWasmBackend, WASM_BACKEND_PRIORITY);
