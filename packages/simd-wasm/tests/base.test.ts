import { describe, expect, it } from 'vitest';
import { listBackends } from '@microlora/simd';
import { createWasmBackend } from '@microlora/simd-wasm/base';

describe('@microlora/simd-wasm/base', () => {
  it('exports the factory without registering anything', () => {
    expect(listBackends()).not.toContain('wasm');
    expect(createWasmBackend().dot(Float32Array.of(1, 2), Float32Array.of(3, 4))).toBe(11);
    expect(listBackends()).not.toContain('wasm');
  });
});
