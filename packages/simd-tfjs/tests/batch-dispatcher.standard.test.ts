import { beforeAll, describe, it } from 'vitest';
import { createJsBackend } from '@microlora/simd';
import type { SimdOps } from '@microlora/simd';
import { simdConformanceCases } from '@microlora/simd/conformance';
import { createBatchDispatcher, createTfjsBackend } from '@microlora/simd-tfjs';

// Crossover 2: every conformance batch of 2+ rows runs on tfjs-wasm, 0–1 rows and all other ops on js.
describe('SimdOps conformance: js + tfjs-wasm batch dispatcher (crossover 2 rows)', () => {
  let backend: SimdOps;
  beforeAll(async () => {
    backend = createBatchDispatcher({ small: createJsBackend(), large: await createTfjsBackend({ tfBackend: 'wasm' }), crossoverRows: 2 });
  });
  for (const c of simdConformanceCases()) it(c.name, () => c.run(backend));
});
