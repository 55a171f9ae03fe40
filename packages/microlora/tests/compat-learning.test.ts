import { describe, expect, it } from 'vitest';
import { SeededRng } from '@microlora/core';
import init, { AdaptFeedbackWasm, MicroLoraConfigWasm, MicroLoraWasm } from 'microlora/compat';

interface Run {
  quality: number[];
  deltaNorm: number;
}

/**
 * Experiment (b) through the drop-in API, written the way the original's README
 * uses it. The ONE setting changed from the defaults is config.exploration; the
 * learning rates are the original's defaults (0.01).
 */
function qualityOnly(d: number, rounds: number, options: { inverted?: boolean; batch?: number; seed?: number } = {}): Run {
  const rng = new SeededRng(options.seed ?? 21);
  const mu = rng.fillNormal(new Float32Array(d));
  const u = rng.fillNormal(new Float32Array(d));
  const norm = Math.hypot(...u);
  u.forEach((v, i) => (u[i] = v / norm));
  const config = new MicroLoraConfigWasm();
  config.inFeatures = d;
  config.outFeatures = d;
  config.exploration = 0.1;
  const lora = new MicroLoraWasm(config);
  const hidden = new Float32Array(d);
  const quality: number[] = [];
  for (let t = 1; t <= rounds; t++) {
    hidden.forEach((_, i) => (hidden[i] = mu[i]! + 0.5 * rng.normal()));
    const out = lora.apply(hidden);
    const cos = out.reduce((s, v, i) => s + v * u[i]!, 0) / Math.hypot(...out);
    quality.push(0.5 + 0.5 * cos);
    lora.adapt(hidden, new AdaptFeedbackWasm(options.inverted === true ? 0.5 - 0.5 * cos : 0.5 + 0.5 * cos));
    if (t % (options.batch ?? 1) === 0) lora.applyUpdates(0.01);
  }
  return { quality, deltaNorm: lora.learner.deltaNorm() };
}

const meanOfLast = (v: number[], k: number): number => v.slice(-k).reduce((s, x) => s + x, 0) / k;

describe('learning through the drop-in API', () => {
  it('(b) 64-d rank 2, quality only: mean quality over the last 100 of 1000 rounds ≥ 0.75', async () => {
    await init();
    const run = qualityOnly(64, 1000);
    expect(meanOfLast(run.quality.slice(0, 100), 100)).toBeLessThan(0.7);
    expect(meanOfLast(run.quality, 100)).toBeGreaterThanOrEqual(0.75);
  });

  it('(b) inverted feedback moves the output away from u', () => {
    const run = qualityOnly(64, 1000, { inverted: true });
    expect(meanOfLast(run.quality, 100)).toBeLessThan(0.25);
  });

  it('(b) also with updates applied every 5 interactions (the original README’s pattern)', () => {
    const run = qualityOnly(64, 1000, { batch: 5 });
    expect(meanOfLast(run.quality, 100)).toBeGreaterThanOrEqual(0.75);
  });

  it('(c) 10k rounds of constant quality 1.0: finite weights, bounded ‖ΔW‖', () => {
    const config = new MicroLoraConfigWasm();
    config.exploration = 0.1;
    const lora = new MicroLoraWasm(config);
    const rng = new SeededRng(4);
    const mu = rng.fillNormal(new Float32Array(768));
    const hidden = new Float32Array(768);
    let maxNorm = 0;
    for (let t = 0; t < 10_000; t++) {
      hidden.forEach((_, i) => (hidden[i] = mu[i]! + 0.5 * rng.normal()));
      const out = lora.apply(hidden);
      expect(Number.isFinite(out[t % 768]!)).toBe(true);
      lora.adapt(hidden, new AdaptFeedbackWasm(1));
      lora.applyUpdates(0.01);
      if (t % 1000 === 999) maxNorm = Math.max(maxNorm, lora.learner.deltaNorm());
    }
    expect(lora.weights.a.every(Number.isFinite) && lora.weights.b.every(Number.isFinite)).toBe(true);
    expect(maxNorm).toBeLessThan(1);
    expect(lora.stats().avgQuality).toBe(1);
  });
});
