import { beforeAll, describe, it } from 'vitest';
import { simdConformanceCases } from '@microlora/simd/conformance';
import { createTfjsBackend } from '@microlora/simd-tfjs';
import type { TfjsSimdOps } from '@microlora/simd-tfjs';

describe('SimdOps conformance: tfjs on tfjs-wasm', () => {
  let backend: TfjsSimdOps;
  beforeAll(async () => {
    backend = await createTfjsBackend({ tfBackend: 'wasm' });
  });
  for (const c of simdConformanceCases()) it(c.name, () => c.run(backend));
});
