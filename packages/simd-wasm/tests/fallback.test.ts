import { afterEach, describe, expect, it, vi } from 'vitest';
import { isMicroLoraError } from '@microlora/core';
import { backendFailures, getBackend } from '@microlora/simd';
import { createWasmBackend, initWasmBackend, wasmSimdUnavailableReason } from '@microlora/simd-wasm';

interface WebAssemblyValidate {
  validate(bytes: Uint8Array): boolean;
}
const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyValidate }).WebAssembly;

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe('where WebAssembly SIMD128 is unavailable', () => {
  it('getBackend() falls back to "js" and backendFailures() says why', () => {
    vi.spyOn(webAssembly, 'validate').mockReturnValue(false);
    expect(getBackend().name).toBe('js');
    const failure = backendFailures().find((f) => f.name === 'wasm');
    expect(failure?.reason).toMatch(/does not support WebAssembly SIMD128/);
  });

  it('createWasmBackend throws BACKEND_UNAVAILABLE with the reason', () => {
    vi.spyOn(webAssembly, 'validate').mockReturnValue(false);
    expect(wasmSimdUnavailableReason()).toMatch(/SIMD128/);
    const err = thrownBy(() => createWasmBackend());
    expect(isMicroLoraError(err, 'BACKEND_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toMatch(/does not support WebAssembly SIMD128.*falls back to the "js" backend/);
  });

  it('without WebAssembly at all, both factories say so', async () => {
    vi.stubGlobal('WebAssembly', undefined);
    expect(wasmSimdUnavailableReason()).toBe('WebAssembly is not available in this environment');
    const err = thrownBy(() => createWasmBackend());
    expect(isMicroLoraError(err, 'BACKEND_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toMatch(/WebAssembly is not available/);
    await expect(initWasmBackend()).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  });

  it('with SIMD128 present the reason is undefined', () => {
    expect(wasmSimdUnavailableReason()).toBeUndefined();
  });
});
