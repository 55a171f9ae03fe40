import type { BenchSuite } from '../harness.js';

/** Every suite, in report order. Each lives in its own file. */
export const suites: BenchSuite[] = [];
