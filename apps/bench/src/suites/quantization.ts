import type { BenchSuite } from '../harness.js';

// Placeholder: the quantization package's author fills this suite in.
export const quantizationSuite: BenchSuite = {
  name: 'quantization',
  quick: true,
  async run() {
    return { tables: [] };
  },
};
