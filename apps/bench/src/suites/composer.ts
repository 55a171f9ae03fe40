import type { BenchSuite } from '../harness.js';

// Placeholder: the composer package's author fills this suite in.
export const composerSuite: BenchSuite = {
  name: 'composer',
  quick: true,
  async run() {
    return { tables: [] };
  },
};
