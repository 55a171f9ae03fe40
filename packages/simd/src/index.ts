export { SIMD_OP_NAMES } from './ops.js';
export type { SimdOps, SimdOpName } from './ops.js';
export {
  registerBackend,
  getBackend,
  getBackendAsync,
  setPreferredBackend,
  listBackends,
  backendFailures,
  unregisterBackend,
  assertCompleteBackend,
} from './registry.js';
