import { describe, expect, it } from 'vitest';
import { listBackends } from '@microlora/simd';
import { createTfjsBackend } from '@microlora/simd-tfjs/backend';

// This file never imports the package entry point: its registration must not happen.
describe('@microlora/simd-tfjs/backend', () => {
  it('creates backends without registering "tfjs"', async () => {
    const be = await createTfjsBackend({ tfBackend: 'cpu' });
    expect(be.dot(Float32Array.of(1, 2), Float32Array.of(3, 4))).toBe(11);
    expect(listBackends()).not.toContain('tfjs');
  });
});
