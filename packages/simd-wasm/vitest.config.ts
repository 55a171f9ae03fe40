import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

export default mergeConfig(
  shared,
  defineConfig({
    test: {
      // The kernels module is generated (src/generated, gitignored): build it when missing or stale.
      globalSetup: ['./tests/setup/build-wasm.ts'],
      // Lets the lifetime tests force garbage collection to observe FinalizationRegistry frees.
      execArgv: ['--expose-gc'],
    },
  }),
);
