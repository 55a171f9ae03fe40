import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { SeededRng, materializeDelta, type LoraWeights } from '@microlora/core';
import { createJsBackend } from '@microlora/simd';
import { LoraDense } from '@microlora/model-tfjs';
import { maxAbsDiff, randomAdapter, useCpu, errorCode } from './helpers.js';

const IN = 5;
const OUT = 5;

/** y = x·W + b + Σ tiers ΔW x (+ α ΔW_micro x), in float64, ΔW from materializeDelta (out × in). */
function naive(x: Float32Array, w: Float32Array, b: Float32Array, tiers: LoraWeights[], micro: LoraWeights | null, alpha: number): Float64Array {
  const deltas = tiers.map((l) => materializeDelta(l));
  const dm = micro ? materializeDelta(micro) : null;
  const y = new Float64Array(OUT);
  for (let o = 0; o < OUT; o++) {
    let s = b[o] as number;
    for (let i = 0; i < IN; i++) {
      let wi = w[i * OUT + o] as number;
      for (const d of deltas) wi += d[o * IN + i] as number;
      if (dm) wi += alpha * (dm[o * IN + i] as number);
      s += (x[i] as number) * wi;
    }
    y[o] = s;
  }
  return y;
}

describe('LoraDense: W′ = W_base + ΔW_qlora + ΔW_base_lora + α·ΔW_micro', () => {
  const rng = new SeededRng(2);
  const w = new Float32Array(IN * OUT).map(() => rng.normal());
  const b = new Float32Array(OUT).map(() => rng.normal());
  const x = new Float32Array(IN).map(() => rng.normal());
  const qlora = randomAdapter(IN, 4, 11);
  const baseLora = randomAdapter(IN, 3, 12);
  const micro = randomAdapter(IN, 2, 13);
  beforeAll(useCpu);

  const run = (layer: LoraDense, m: LoraWeights | null, alpha: number): Float32Array => {
    const y = tf.tidy(() => layer.applyFrozen(tf.tensor2d(x, [1, IN])).dataSync() as Float32Array);
    if (m) layer.applyMicro(createJsBackend(), [m], [alpha], Int32Array.of(0), x, y, 1);
    return y;
  };

  it('every combination of tiers matches the float64 reference', () => {
    const layer = new LoraDense('test', w, b, IN, OUT);
    expect(maxAbsDiff(run(layer, null, 1), naive(x, w, b, [], null, 1))).toBeLessThan(1e-5);
    layer.setTiers({ qlora });
    expect(maxAbsDiff(run(layer, micro, 0.5), naive(x, w, b, [qlora], micro, 0.5))).toBeLessThan(1e-5);
    layer.setTiers({ baseLora });
    expect(layer.tiers.qlora).toBe(qlora); // tiers not named stay
    expect(maxAbsDiff(run(layer, micro, 2), naive(x, w, b, [qlora, baseLora], micro, 2))).toBeLessThan(1e-5);
    layer.setTiers({ qlora: null });
    expect(maxAbsDiff(run(layer, micro, 1), naive(x, w, b, [baseLora], micro, 1))).toBeLessThan(1e-5);
    layer.setTiers({ baseLora: null });
    expect(maxAbsDiff(run(layer, null, 1), naive(x, w, b, [], null, 1))).toBeLessThan(1e-5);
    layer.dispose();
  });

  it('copies its weights: mutating the caller\'s arrays later changes nothing', () => {
    const wc = Float32Array.from(w);
    const layer = new LoraDense('copy', wc, b, IN, OUT);
    const before = run(layer, null, 1);
    wc.fill(100);
    layer.setTiers({ qlora });
    layer.setTiers({ qlora: null });
    expect(maxAbsDiff(run(layer, null, 1), before)).toBe(0);
    layer.dispose();
  });

  it('rejects wrong shapes and non-finite α', () => {
    const layer = new LoraDense('shape', w, b, IN, OUT);
    const code = errorCode;
    expect(code(() => layer.setTiers({ qlora: randomAdapter(IN + 1, 2, 1) }))).toBe('DIMENSION_MISMATCH');
    expect(code(() => new LoraDense('bad', w.subarray(1), b, IN, OUT))).toBe('DIMENSION_MISMATCH');
    const y = new Float32Array(OUT);
    expect(code(() => layer.applyMicro(createJsBackend(), [micro], [Number.NaN], Int32Array.of(0), x, y, 1))).toBe('NON_FINITE');
    layer.dispose();
  });
});
