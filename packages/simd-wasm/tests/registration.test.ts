import { describe, expect, it } from 'vitest';
import { getBackend, listBackends, registerBackend } from '@microlora/simd';
import { WASM_BACKEND_PRIORITY, createWasmBackend } from '@microlora/simd-wasm';

describe('importing @microlora/simd-wasm', () => {
  it('registers "wasm" at priority 2, above "js", and getBackend() picks it', () => {
    expect(WASM_BACKEND_PRIORITY).toBe(2);
    expect(listBackends().slice(0, 2)).toEqual(['wasm', 'js']);
    const backend = getBackend();
    expect(backend.name).toBe('wasm');
    expect(getBackend('wasm')).toBe(backend);
  });

  it('registering the same factory again (a second import) is a no-op', () => {
    expect(() => registerBackend('wasm', createWasmBackend, WASM_BACKEND_PRIORITY)).not.toThrow();
    expect(listBackends().filter((name) => name === 'wasm')).toHaveLength(1);
  });
});
