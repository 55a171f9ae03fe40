import { describe, expect, it } from 'vitest';
import { isMicroLoraError } from '@microlora/core';
import { TF_BACKENDS, backendOrderFromQuery } from '../src/tfjs-backend-order.js';

describe('backendOrderFromQuery', () => {
  it('is wasm, webgl, cpu unless the URL asks for others', () => {
    expect(TF_BACKENDS).toEqual(['wasm', 'webgl', 'cpu']);
    expect(backendOrderFromQuery('')).toEqual(['wasm', 'webgl', 'cpu']);
    expect(backendOrderFromQuery('?tfjs=wasm')).toEqual(['wasm']);
    expect(backendOrderFromQuery('?x=1&tfjs=cpu,%20wasm,cpu')).toEqual(['cpu', 'wasm']);
  });

  it('rejects an unknown backend with INVALID_ARGUMENT', () => {
    for (const search of ['?tfjs=webgpu', '?tfjs=', '?tfjs=wasm,']) {
      let error: unknown;
      try {
        backendOrderFromQuery(search);
      } catch (caught) {
        error = caught;
      }
      expect(isMicroLoraError(error, 'INVALID_ARGUMENT'), search).toBe(true);
    }
  });
});
