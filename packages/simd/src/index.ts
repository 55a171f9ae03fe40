import { createJsBackend } from './js-backend.js';
import { registerBackend } from './registry.js';

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
export { createJsBackend } from './js-backend.js';
export {
  lengthMismatch,
  shapeMismatch,
  nonFiniteInput,
  assertQuantParams,
  assertGemvArgs,
  assertLoraFactors,
  assertLoraApplyArgs,
  assertLoraBatchArgs,
} from './checks.js';

/** Priority of the pure-JS backend: the fallback every faster backend outranks. */
export const JS_BACKEND_PRIORITY = 1;

// The one side effect of this package: the pure-JS backend is always available.
registerBackend('js', createJsBackend, JS_BACKEND_PRIORITY);
