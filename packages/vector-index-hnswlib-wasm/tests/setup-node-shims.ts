// Test-only: hnswlib-wasm detects a browser through `window` and persists through
// IndexedDB; Node has neither, so provide both before the library loads.
import 'fake-indexeddb/auto';

(globalThis as { window?: unknown }).window ??= globalThis;
