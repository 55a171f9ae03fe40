import { defineConfig } from 'vitest/config';

// Tests import packages by name and run on their TypeScript source through the
// "@microlora/source" export condition, so no build is needed to test a change.
export default defineConfig({
  resolve: { conditions: ['@microlora/source'] },
  ssr: { resolve: { conditions: ['@microlora/source'] } },
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
