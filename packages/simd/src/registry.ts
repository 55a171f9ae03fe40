import { MicroLoraError, Registry } from '@microlora/core';
import type { Factory } from '@microlora/core';
import { SIMD_OP_NAMES } from './ops.js';
import type { SimdOps } from './ops.js';

const backends = new Registry<SimdOps>('SIMD backend');

/** Throws NOT_IMPLEMENTED naming the first op a backend lacks. */
export function assertCompleteBackend(backend: SimdOps): SimdOps {
  for (const op of SIMD_OP_NAMES) {
    if (typeof backend[op] !== 'function') {
      throw new MicroLoraError('NOT_IMPLEMENTED', `op "${op}" is not implemented in backend "${backend.name}"`, {
        details: { op, backend: backend.name },
      });
    }
  }
  return backend;
}

/**
 * Registers a backend factory. The registry initialises lazily and picks the
 * highest priority that initialises (js = 1, wasm = 2); a factory may be async.
 */
export function registerBackend(name: string, factory: Factory<SimdOps>, priority = 0): void {
  // The same factory registered twice (a module loaded twice) must stay a no-op,
  // so each factory keeps one checking wrapper.
  let checked = checkedFactories.get(factory);
  if (!checked) {
    checked = () => {
      const made = factory();
      return made instanceof Promise ? made.then(assertCompleteBackend) : assertCompleteBackend(made);
    };
    checkedFactories.set(factory, checked);
  }
  backends.register(name, checked, { priority });
}

const checkedFactories = new WeakMap<Factory<SimdOps>, Factory<SimdOps>>();

/** The named backend, or the best one that initialises synchronously. */
export function getBackend(name?: string): SimdOps {
  return name === undefined ? backends.best() : backends.get(name);
}

/** Like getBackend, awaiting backends that initialise asynchronously (tfjs). */
export function getBackendAsync(name?: string): Promise<SimdOps> {
  return name === undefined ? backends.bestAsync() : backends.getAsync(name);
}

/** Make `name` the first choice of getBackend() (undefined restores priority order). */
export function setPreferredBackend(name: string | undefined): void {
  backends.prefer(name);
}

/** Registered backend names, best first. */
export function listBackends(): string[] {
  return backends.names();
}

/** Backends that failed to initialise, with the reason for each. */
export function backendFailures(): { name: string; reason: string }[] {
  return backends.failures();
}

export function unregisterBackend(name: string): boolean {
  return backends.unregister(name);
}
