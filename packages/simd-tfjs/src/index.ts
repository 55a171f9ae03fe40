import { registerBackend } from '@microlora/simd';
import { createDefaultTfjsBackend } from './backend.js';

export { createTfjsBackend, createDefaultTfjsBackend } from './backend.js';
export type { TfjsBackendOptions, TfjsSimdOps, BundledTfBackend } from './backend.js';
export type { LoraBatchStrategy } from './lora-batch.js';
export { createBatchDispatcher, DEFAULT_CROSSOVER_ROWS } from './batch-dispatcher.js';
export type { BatchDispatcher, BatchDispatcherOptions } from './batch-dispatcher.js';

/**
 * Registry priority of "tfjs": below js (1) and wasm (2). tfjs costs ~10 µs per
 * op, so it is picked by name or through createBatchDispatcher for large batches.
 */
export const TFJS_BACKEND_PRIORITY = 0;

// The one side effect of this package: "tfjs" (tfjs-wasm, else tfjs-cpu) joins the registry.
registerBackend('tfjs', createDefaultTfjsBackend, TFJS_BACKEND_PRIORITY);
