import { describe, it } from 'vitest';
import { simdConformanceCases } from '@microlora/simd/conformance';
import { createWasmBackend, initWasmBackend } from '@microlora/simd-wasm';

describe('SimdOps conformance: wasm backend', () => {
  const backend = createWasmBackend();
  for (const c of simdConformanceCases()) it(c.name, () => c.run(backend));
});

describe('SimdOps conformance: wasm backend without the adapter cache (adapters copied on every call)', () => {
  const backend = createWasmBackend({ adapterCacheBytes: 0 });
  for (const c of simdConformanceCases()) it(c.name, () => c.run(backend));
});

describe('SimdOps conformance: wasm backend from initWasmBackend() (asynchronous compilation)', async () => {
  const backend = await initWasmBackend();
  for (const c of simdConformanceCases()) it(c.name, () => c.run(backend));
});
