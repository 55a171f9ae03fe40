import type { BenchSuite } from '../harness.js';

// Placeholder: the bank package's author fills this suite in.
export const bankSuite: BenchSuite = {
  name: 'bank',
  quick: true,
  async run() {
    return { tables: [] };
  },
};
