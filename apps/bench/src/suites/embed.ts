import type { BenchSuite } from '../harness.js';

// Placeholder: the embed package's author fills this suite in.
export const embedSuite: BenchSuite = {
  name: 'embed',
  quick: true,
  async run() {
    return { tables: [] };
  },
};
