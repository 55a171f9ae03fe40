import type { BenchSuite } from '../harness.js';
import { bankSuite } from './bank.js';
import { composerSuite } from './composer.js';
import { embedSuite } from './embed.js';
import { learningSuite } from './learning.js';
import { modelSuite } from './model.js';
import { quantizationSuite } from './quantization.js';
import { requestPathSuite } from './request-path.js';
import { retrievalSuite } from './retrieval.js';
import { serviceSuite } from './service.js';
import { simdSuite } from './simd.js';
import { simdTfjsSuite } from './simd-tfjs.js';
import { simdWasmArenaSuite } from './simd-wasm-arena.js';

/** Every suite, in report order. Each lives in its own file. */
export const suites: BenchSuite[] = [simdSuite, simdWasmArenaSuite, simdTfjsSuite, quantizationSuite, embedSuite, retrievalSuite, composerSuite, bankSuite, requestPathSuite, learningSuite, modelSuite, serviceSuite];
