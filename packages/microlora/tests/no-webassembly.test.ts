import { afterAll, expect, it, vi } from 'vitest';

// A fresh module graph per test file: the packages below see an engine without WebAssembly.
vi.stubGlobal('WebAssembly', undefined);
afterAll(() => vi.unstubAllGlobals());

it('falls back to the js backend and the exact flat index where WebAssembly is missing', async () => {
  const { createMicroLora, createLora } = await import('microlora');
  const micro = createMicroLora({ hiddenSize: 8 });
  expect(micro.backend.name).toBe('js');
  expect(micro.indexKind).toBe('flat');
  expect(micro.manager.banks[0]!.index.kind).toBe('flat');
  expect(micro.indexFallbackReason).toMatch(/WebAssembly/);
  micro.insertPattern({ id: 'a', query: 'works without webassembly', lora: createLora({ rank: 1, inFeatures: 8, outFeatures: 8, seed: 1 }) });
  expect(micro.adapterWithSources('works without webassembly', 0.5).sources.map((s) => s.id)).toEqual(['a']);
});
