import type { BenchSuite } from '../harness.js';

// Placeholder: the retrieval package's author fills this suite in.
export const retrievalSuite: BenchSuite = {
  name: 'retrieval',
  quick: true,
  async run() {
    return { tables: [] };
  },
};
