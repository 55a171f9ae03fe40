import { describe, expect, it } from 'vitest';
import { isMicroLoraError } from '@microlora/core';
import { getBackend, getBackendAsync, listBackends } from '@microlora/simd';
import { TFJS_BACKEND_PRIORITY } from '@microlora/simd-tfjs';
import type { TfjsSimdOps } from '@microlora/simd-tfjs';

describe('importing @microlora/simd-tfjs', () => {
  it('registers "tfjs" below js, so the best synchronous backend stays js', () => {
    expect(TFJS_BACKEND_PRIORITY).toBe(0);
    const names = listBackends();
    expect(names).toContain('tfjs');
    expect(names.indexOf('tfjs')).toBeGreaterThan(names.indexOf('js'));
    expect(getBackend().name).toBe('js');
  });

  it('initialises "tfjs" asynchronously, on tfjs-wasm', async () => {
    let syncError: unknown;
    try {
      getBackend('tfjs');
    } catch (err) {
      syncError = err;
    }
    expect(isMicroLoraError(syncError, 'BACKEND_UNAVAILABLE')).toBe(true);
    const be = (await getBackendAsync('tfjs')) as TfjsSimdOps;
    expect(be.name).toBe('tfjs');
    expect(be.tfBackend).toBe('wasm');
    expect(be.dot(Float32Array.of(1, 2, 3), Float32Array.of(4, 5, 6))).toBe(32);
    expect(getBackend('tfjs')).toBe(be); // initialised now: the same instance, synchronously
  });
});
