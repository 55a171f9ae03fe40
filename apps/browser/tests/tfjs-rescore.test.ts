import { describe, expect, it } from 'vitest';
import { SeededRng, createJsBackend, loraFromFactors, type SimdOps } from 'microlora';
import { rescoreHistory } from '../src/tfjs-rescore.js';

const rng = new SeededRng(3);
const adapter = loraFromFactors({ rank: 2, inFeatures: 8, outFeatures: 8, a: rng.fillNormal(new Float32Array(16)), b: rng.fillNormal(new Float32Array(16)) });
const hidden = rng.fillNormal(new Float32Array(3 * 8));
const js = createJsBackend();

describe('rescoreHistory', () => {
  it('agrees when both backends compute the same batch', () => {
    const result = rescoreHistory(js, js, [adapter], new Int32Array(3), hidden, 3);
    expect(result).toMatchObject({ rows: 3, relativeError: 0, agrees: true, referenceBackend: 'js' });
  });

  it('reports a mismatch instead of hiding it', () => {
    const skewed: SimdOps = {
      ...js,
      name: 'skewed',
      loraApplyBatch: (adapters, index, x, y, rows) => {
        js.loraApplyBatch(adapters, index, x, y, rows);
        y[5] = (y[5] as number) + 1e-2;
      },
    };
    const result = rescoreHistory(skewed, js, [adapter], new Int32Array(3), hidden, 3);
    expect(result.agrees).toBe(false);
    expect(result.relativeError).toBeGreaterThan(1e-4);
  });
});
