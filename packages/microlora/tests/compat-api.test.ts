import { describe, expect, it } from 'vitest';
import { SeededRng, isMicroLoraError } from '@microlora/core';
import { listBackends } from '@microlora/simd';
import { referenceLoraApply } from '@microlora/simd/conformance';
import init, { AdaptFeedbackWasm, MicroLoraConfigWasm, MicroLoraStatsWasm, MicroLoraWasm } from 'microlora/compat';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isMicroLoraError(err) ? err.code : `not a MicroLoraError: ${String(err)}`;
  }
  return undefined;
}

function config(d = 32, rank = 2): MicroLoraConfigWasm {
  const c = new MicroLoraConfigWasm();
  c.rank = rank;
  c.inFeatures = d;
  c.outFeatures = d;
  return c;
}

function vector(seed: number, length: number): Float32Array {
  return new SeededRng(seed).fillNormal(new Float32Array(length));
}

function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let err = 0;
  let scale = 1e-12;
  for (let i = 0; i < expected.length; i++) {
    err = Math.max(err, Math.abs((actual[i] as number) - (expected[i] as number)));
    scale = Math.max(scale, Math.abs(expected[i] as number));
  }
  return err / scale;
}

describe('init', () => {
  it('loads the fastest backend, is idempotent, and adapters use it', async () => {
    const first = await init();
    expect(await init('ignored.wasm')).toBe(first);
    expect(listBackends()).toContain(first.backend);
    expect(new MicroLoraWasm(config()).learner.backend.name).toBe(first.backend);
  });
});

describe('MicroLoraConfigWasm', () => {
  it('has the original defaults, clamps rank to 1–4 and computes memory and scaling', () => {
    const c = new MicroLoraConfigWasm();
    expect([c.rank, c.alpha, c.inFeatures, c.outFeatures, c.exploration]).toEqual([2, 4, 768, 768, 0]);
    expect(c.memoryBytes()).toBe(12_288);
    expect(c.computeScaling()).toBe(2);
    c.rank = 10;
    expect(c.rank).toBe(4);
    c.rank = 0;
    expect(c.rank).toBe(1);
    c.rank = 2.9;
    expect(c.rank).toBe(2);
    c.inFeatures = 512;
    c.outFeatures = 512;
    expect(c.memoryBytes()).toBe(8_192);
  });

  it('rejects values that are not numbers or out of range', () => {
    const c = new MicroLoraConfigWasm();
    expect(code(() => (c.rank = Number.NaN))).toBe('NON_FINITE');
    expect(code(() => (c.rank = '2' as never))).toBe('INVALID_ARGUMENT');
    expect(code(() => (c.inFeatures = 0))).toBe('OUT_OF_RANGE');
    expect(code(() => (c.outFeatures = 3.5))).toBe('INVALID_ARGUMENT');
    expect(code(() => (c.alpha = 0))).toBe('OUT_OF_RANGE');
    expect(code(() => (c.exploration = -1))).toBe('OUT_OF_RANGE');
    expect([c.rank, c.inFeatures, c.outFeatures, c.alpha]).toEqual([2, 768, 768, 4]);
  });
});

describe('AdaptFeedbackWasm', () => {
  it('clamps quality like the original, defaults learningRate to 0.01 and validates', () => {
    const fb = new AdaptFeedbackWasm(0.8);
    expect([fb.quality, fb.learningRate, fb.gradient]).toEqual([0.8, 0.01, undefined]);
    expect(new AdaptFeedbackWasm(1.5).quality).toBe(1);
    expect(new AdaptFeedbackWasm(-2).quality).toBe(0);
    expect(new AdaptFeedbackWasm().quality).toBe(0.5);
    expect(code(() => new AdaptFeedbackWasm(Number.NaN))).toBe('NON_FINITE');
    expect(code(() => (fb.learningRate = -0.01))).toBe('OUT_OF_RANGE');
    expect(code(() => (fb.gradient = [1, 2] as never))).toBe('INVALID_ARGUMENT');
    fb.gradient = new Float32Array(4);
    expect(code(() => (fb.logProbGradient = new Float32Array(4)))).toBe('INVALID_ARGUMENT');
  });
});

describe('MicroLoraWasm', () => {
  it('apply returns the delta s·B(A·x), also for a plain array, and validates the input', () => {
    const lora = new MicroLoraWasm(config(32, 3));
    // Teach it something so that B ≠ 0.
    const fb = new AdaptFeedbackWasm(1);
    fb.gradient = vector(1, 32);
    lora.adapt(vector(2, 32), fb);
    lora.applyUpdates(0.5);
    const x = vector(3, 32);
    const ref = referenceLoraApply(lora.weights, x);
    expect(maxRelativeError(lora.apply(x), ref)).toBeLessThan(1e-5);
    expect(maxRelativeError(lora.apply(Array.from(x)), ref)).toBeLessThan(1e-5);
    expect(lora.apply(x)).toBeInstanceOf(Float32Array);
    expect(code(() => lora.apply(vector(3, 31)))).toBe('DIMENSION_MISMATCH');
    expect(code(() => lora.apply(x.map((v, i) => (i === 7 ? Number.NaN : v))))).toBe('NON_FINITE');
    expect(code(() => lora.apply('x' as never))).toBe('INVALID_ARGUMENT');
  });

  it('a fresh adapter outputs zeros (B = 0) and reports the original statistics', () => {
    const lora = new MicroLoraWasm(new MicroLoraConfigWasm());
    expect(lora.apply(vector(4, 768)).every((v) => v === 0)).toBe(true);
    const stats = lora.stats();
    expect(stats).toBeInstanceOf(MicroLoraStatsWasm);
    expect([stats.samplesSeen, stats.avgQuality, stats.paramCount]).toEqual([0, 0, 3072]);
    // Every buffer: the factors (12 KB), their initial copy, the pending sums, scratch.
    expect(stats.memoryBytes).toBe(lora.learner.memoryBytes());
    expect(stats.memoryBytes).toBeGreaterThan(3 * 12_288);
    expect(Object.keys(JSON.parse(stats.toJson()) as object)).toEqual(['samples_seen', 'avg_quality', 'memory_bytes', 'param_count']);
  });

  it('adapt + applyUpdates: a gradient is followed, learningRate weights each event, pendingUpdates counts', () => {
    const run = (feedbackRate: number): Float32Array => {
      const lora = new MicroLoraWasm(config());
      const fb = new AdaptFeedbackWasm(0.7);
      fb.learningRate = feedbackRate;
      fb.gradient = vector(5, 32);
      lora.adapt(vector(6, 32), fb);
      expect(lora.pendingUpdates()).toBe(1);
      lora.applyUpdates(0.01);
      expect(lora.pendingUpdates()).toBe(0);
      expect(lora.stats().samplesSeen).toBe(1);
      expect(lora.stats().avgQuality).toBeCloseTo(0.7, 12);
      return lora.weights.b.slice();
    };
    const once = run(0.01);
    const twice = run(0.02);
    // B starts at 0, so B after one step is the step itself: double the rate, double the step.
    expect(maxRelativeError(twice, once.map((v) => 2 * v))).toBeLessThan(1e-6);
    expect(once.some((v) => v !== 0)).toBe(true);
  });

  it('quality alone without exploration teaches nothing (and says so); with exploration it queues a step', () => {
    const lora = new MicroLoraWasm(config());
    const x = vector(7, 32);
    lora.apply(x);
    expect(lora.adapt(x, new AdaptFeedbackWasm(0.9))).toBe('none');
    expect(lora.pendingUpdates()).toBe(0);
    lora.exploration = 0.1;
    lora.apply(x);
    expect(lora.adapt(x, new AdaptFeedbackWasm(0.9))).toBe('exploration');
    expect(lora.pendingUpdates()).toBe(1);
    expect(lora.stats().samplesSeen).toBe(2);
  });

  it('reset() returns to the initial (seeded) state', () => {
    const c = config();
    c.exploration = 0.2;
    const lora = new MicroLoraWasm(c);
    const fresh = new MicroLoraWasm(c);
    for (let t = 0; t < 20; t++) {
      const x = vector(100 + t, 32);
      lora.apply(x);
      lora.adapt(x, new AdaptFeedbackWasm((t % 5) / 5));
      lora.applyUpdates(0.05);
    }
    expect(lora.learner.deltaNorm()).toBeGreaterThan(0);
    lora.reset();
    expect(lora.toJson()).toBe(fresh.toJson());
    expect(Array.from(lora.apply(vector(9, 32)))).toEqual(Array.from(fresh.apply(vector(9, 32))));
  });

  it('getConfig, free and dispose behave like the original’s', () => {
    const c = config(48, 3);
    c.alpha = 6;
    const lora = new MicroLoraWasm(c);
    const got = lora.getConfig();
    expect([got.rank, got.alpha, got.inFeatures, got.outFeatures, got.computeScaling()]).toEqual([3, 6, 48, 48, 2]);
    lora.free();
    const dispose = (lora as unknown as Record<symbol, () => void>)[Symbol.dispose];
    expect(typeof dispose).toBe('function');
    dispose!.call(lora);
    expect(lora.apply(vector(1, 48))).toHaveLength(48);
    expect(code(() => new MicroLoraWasm({ rank: 2 } as never))).toBe('INVALID_ARGUMENT');
    expect(code(() => lora.adapt(vector(1, 48), { quality: Number.NaN }))).toBe('NON_FINITE');
    expect(code(() => lora.adapt(vector(1, 48), { quality: 0.5, learningRate: -1 }))).toBe('OUT_OF_RANGE');
    expect(code(() => lora.applyUpdates(Number.NaN))).toBe('NON_FINITE');
  });
});
