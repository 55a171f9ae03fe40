import { describe, expect, it } from 'vitest';
import { SeededRng, isMicroLoraError } from '@microlora/core';
import { AdaptFeedbackWasm, COMPAT_JSON_VERSION, MicroLoraConfigWasm, MicroLoraWasm } from 'microlora/compat';
import { ruvllmAdapt, ruvllmApply, ruvllmApplyUpdates, ruvllmNew, type RuvllmState } from './compat-ruvllm-reference.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isMicroLoraError(err) ? err.code : `not a MicroLoraError: ${String(err)}`;
  }
  return undefined;
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

/** An adapter with history: explored applies, applied and pending updates, one exploration still awaiting feedback. */
function trained(): MicroLoraWasm {
  const c = new MicroLoraConfigWasm();
  c.rank = 3;
  c.alpha = 5;
  c.inFeatures = 40;
  c.outFeatures = 24;
  c.exploration = 0.1;
  c.seed = 77;
  const lora = new MicroLoraWasm(c);
  for (let t = 0; t < 25; t++) {
    const x = vector(t, 40);
    lora.apply(x);
    lora.adapt(x, new AdaptFeedbackWasm((t % 4) / 4));
    if (t % 5 === 4) lora.applyUpdates(0.02);
  }
  lora.apply(vector(1000, 40));
  return lora;
}

function ruvllmTrained(): RuvllmState {
  const s = ruvllmNew(20, 12, 3, 4);
  for (let t = 0; t < 6; t++) ruvllmAdapt(s, vector(50 + t, 20), [0.9, 0.2, 0.7][t % 3]!);
  ruvllmApplyUpdates(s, 0.5);
  for (let t = 0; t < 3; t++) ruvllmAdapt(s, vector(60 + t, 20), 0.8);
  return s;
}

describe('our JSON', () => {
  it('round-trips exactly, with a format tag, a version and alpha', () => {
    const lora = trained();
    const json = lora.toJson();
    const doc = JSON.parse(json) as Record<string, unknown>;
    expect(doc).toMatchObject({ format: 'microlora-compat', version: COMPAT_JSON_VERSION, alpha: 5, rank: 3, in_features: 40, out_features: 24 });
    const restored = MicroLoraWasm.fromJson(json);
    expect(restored.toJson()).toBe(json);
    expect(restored.pendingUpdates()).toBe(lora.pendingUpdates());
    expect(restored.stats().toJson()).toBe(lora.stats().toJson());
    // Same future: the awaited exploration, the pending updates, new noise.
    for (const l of [lora, restored]) {
      l.adapt(vector(1000, 40), new AdaptFeedbackWasm(0.9));
      l.applyUpdates(0.02);
    }
    expect(Array.from(restored.apply(vector(5, 40)))).toEqual(Array.from(lora.apply(vector(5, 40))));
    expect(restored.toJson()).toBe(lora.toJson());
  });

  it('reset() of a restored adapter returns to its seeded initial state', () => {
    const restored = MicroLoraWasm.fromJson(trained().toJson());
    restored.reset();
    const c = restored.getConfig();
    expect(restored.toJson()).toBe(new MicroLoraWasm(c).toJson());
  });
});

describe("@ruvector/ruvllm-wasm 2.0 JSON", () => {
  it('reads the weights (transposing lora_a), statistics and pending gradients as the original computes them', () => {
    const original = ruvllmTrained();
    const lora = MicroLoraWasm.fromJson(JSON.stringify(original));
    const x = vector(70, 20);
    expect(maxRelativeError(lora.apply(x), ruvllmApply(original, x))).toBeLessThan(1e-5);
    const stats = lora.stats();
    expect(stats.samplesSeen).toBe(9);
    expect(stats.avgQuality).toBeCloseTo(original.quality_sum / 9, 12);
    expect(lora.pendingUpdates()).toBe(3);
    expect(lora.getConfig().alpha).toBeCloseTo(4, 5);
    // The pending gradients apply exactly as the original's apply_gradients.
    lora.applyUpdates(0.3);
    ruvllmApplyUpdates(original, 0.3);
    expect(maxRelativeError(lora.apply(x), ruvllmApply(original, x))).toBeLessThan(1e-5);
  });

  it('reset() returns an imported adapter to the original’s initial weights', () => {
    const lora = MicroLoraWasm.fromJson(JSON.stringify(ruvllmTrained()));
    lora.reset();
    const initial = ruvllmNew(20, 12, 3, 4);
    const expectedA = new Float32Array(3 * 20);
    for (let i = 0; i < 20; i++) for (let r = 0; r < 3; r++) expectedA[r * 20 + i] = initial.adapter.lora_a[i * 3 + r]!;
    expect(Array.from(lora.weights.a)).toEqual(Array.from(expectedA));
    expect(lora.weights.b.every((v) => v === 0)).toBe(true);
    expect(lora.stats().samplesSeen).toBe(0);
    // And our own JSON remembers that origin.
    expect(MicroLoraWasm.fromJson(lora.toJson()).toJson()).toBe(lora.toJson());
  });

  it('their update rule grows without bound under constant praise; ours does not move', () => {
    const original = ruvllmNew(32, 32, 2, 4);
    const c = new MicroLoraConfigWasm();
    c.inFeatures = 32;
    c.outFeatures = 32;
    c.exploration = 0.1;
    const lora = new MicroLoraWasm(c);
    const norms: number[] = [];
    for (let t = 1; t <= 3000; t++) {
      const x = vector(t % 50, 32);
      ruvllmAdapt(original, x, 1);
      ruvllmApplyUpdates(original, 0.01);
      lora.apply(x);
      lora.adapt(x, new AdaptFeedbackWasm(1));
      lora.applyUpdates(0.01);
      if (t === 1000 || t === 3000) norms.push(Math.hypot(...original.adapter.lora_a), lora.learner.deltaNorm());
    }
    const [theirs1000, ours1000, theirs3000, ours3000] = norms as [number, number, number, number];
    expect(theirs3000).toBeGreaterThan(2 * theirs1000);
    expect(ours3000).toBe(ours1000);
  });
});

describe('fromJson rejects bad input with a typed error', () => {
  const ours = trained().toJson();
  const theirs = JSON.stringify(ruvllmTrained());
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form edits of parsed JSON
  type Doc = Record<string, any>;
  const edit = (json: string, change: (doc: Doc) => void): string => {
    const doc = JSON.parse(json) as Doc;
    change(doc);
    return JSON.stringify(doc);
  };
  const cases: [string, unknown, string][] = [
    ['not a string', 42, 'INVALID_ARGUMENT'],
    ['garbage', 'not json at all', 'CORRUPT_DATA'],
    ['truncated', ours.slice(0, ours.length - 20), 'CORRUPT_DATA'],
    ['truncated original', theirs.slice(0, 200), 'CORRUPT_DATA'],
    ['empty object', '{}', 'CORRUPT_DATA'],
    ['array', '[1,2,3]', 'CORRUPT_DATA'],
    ['newer version', edit(ours, (d) => (d.version = 2)), 'UNSUPPORTED_VERSION'],
    ['unknown format', edit(ours, (d) => (d.format = 'other')), 'CORRUPT_DATA'],
    ['short a', edit(ours, (d) => (d.a as number[]).pop()), 'CORRUPT_DATA'],
    ['null weight', edit(ours, (d) => ((d.b as unknown[])[3] = null)), 'CORRUPT_DATA'],
    ['beyond float32', edit(ours, (d) => ((d.a as number[])[0] = 1e39)), 'CORRUPT_DATA'],
    ['rank 5', edit(ours, (d) => (d.rank = 5)), 'RANK_OUT_OF_RANGE'],
    ['alpha missing', edit(ours, (d) => delete d.alpha), 'CORRUPT_DATA'],
    ['bad initial', edit(ours, (d) => (d.initial = { kind: 'magic' })), 'CORRUPT_DATA'],
    ['negative count', edit(ours, (d) => ((d.pending as Record<string, number>).count = -1)), 'CORRUPT_DATA'],
    ['quality sum', edit(ours, (d) => (d.quality_sum = 1e6)), 'CORRUPT_DATA'],
    ['original short lora_a', edit(theirs, (d) => (d.adapter.lora_a as number[]).splice(0, 1)), 'CORRUPT_DATA'],
    ['original NaN-like string', edit(theirs, (d) => ((d.adapter.lora_b as unknown[])[0] = 'NaN')), 'CORRUPT_DATA'],
    ['original rank 0', edit(theirs, (d) => (d.adapter.rank = 0)), 'RANK_OUT_OF_RANGE'],
    ['original zero scaling', edit(theirs, (d) => (d.adapter.scaling = 0)), 'CORRUPT_DATA'],
    ['original no samples_seen', edit(theirs, (d) => delete d.samples_seen), 'CORRUPT_DATA'],
    ['original huge in_features', edit(theirs, (d) => (d.adapter.in_features = 1e9)), 'CORRUPT_DATA'],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => expect(code(() => MicroLoraWasm.fromJson(input as string))).toBe(expected));
  }
});
