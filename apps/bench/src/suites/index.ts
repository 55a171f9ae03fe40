import type { BenchSuite } from '../harness.js';
import { bankSuite } from './bank.js';
import { composerSuite } from './composer.js';
import { embedSuite } from './embed.js';
import { quantizationSuite } from './quantization.js';
import { retrievalSuite } from './retrieval.js';
import { simdSuite } from './simd.js';
import { simdTfjsSuite } from './simd-tfjs.js';

/** Every suite, in report order. Each lives in its own file. */
export const suites: BenchSuite[] = [simdSuite, simdTfjsSuite, quantizationSuite, embedSuite, retrievalSuite, composerSuite, bankSuite];
