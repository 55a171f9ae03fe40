import { getBackendAsync } from '@microlora/simd';

/** What init() resolves to. */
export interface InitOutput {
  /** The SIMD backend adapters created from now on use ("wasm" where WebAssembly SIMD runs, else "js"). */
  backend: string;
}

let ready: Promise<InitOutput> | undefined;

/**
 * The wasm-bindgen style initialiser: `await init()` before creating adapters.
 * Loads the WebAssembly SIMD backend (registered as "wasm"; nothing to fetch,
 * the module is embedded) and falls back to the pure-JS backend where it
 * cannot run. Idempotent; the argument the original took (a module or URL) is
 * accepted and ignored. Adapters also work without it, on the JS backend.
 */
export default function init(_moduleOrPath?: unknown): Promise<InitOutput> {
  ready ??= (async () => {
    try {
      await import('@microlora/simd-wasm');
    } catch {
      // not installed or not loadable here: the registry keeps "js"
    }
    const backend = await getBackendAsync();
    return { backend: backend.name };
  })();
  return ready;
}

/**
 * Accepted for compatibility with the original's initSync(); does nothing.
 * Adapters work without initialisation (on the backend getBackend() returns);
 * await init() to load the WebAssembly backend.
 */
export function initSync(_module?: unknown): void {}
