import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

// hnswlib-wasm targets browsers: the Node shims it needs live in a test-only setup file.
export default mergeConfig(
  shared,
  defineConfig({
    test: {
      setupFiles: ['./tests/setup-node-shims.ts'],
      // The library logs every IndexedDB sync; keep test output readable.
      onConsoleLog: (log) => !/jsFS|EmscriptenFileSystemManager|sync callback|syncfs operations in flight/.test(log),
    },
  }),
);
