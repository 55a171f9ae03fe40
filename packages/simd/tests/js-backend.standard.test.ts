import { describe, it } from 'vitest';
import { createJsBackend } from '@microlora/simd';
import { simdConformanceCases } from '@microlora/simd/conformance';

describe('SimdOps conformance: js backend', () => {
  const backend = createJsBackend();
  for (const c of simdConformanceCases()) it(c.name, () => c.run(backend));
});
