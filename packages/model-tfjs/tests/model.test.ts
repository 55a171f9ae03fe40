import { beforeAll, describe, expect, it } from 'vitest';
import { materializeDelta, type LoraWeights } from '@microlora/core';
import { MASK, PAD, timeFeaturesInto, timeFeatureCount, type DiffusionLM, type ModelConfig, type ModelWeights } from '@microlora/model-tfjs';
import { TINY, maxAbsDiff, randomAdapter, randomWeights, tinyModel, errorCode } from './helpers.js';

/** The whole forward in float64 plain JS, straight from the definitions. */
function naiveLogits(config: ModelConfig, w: ModelWeights, tokens: Int32Array, t: number, micro: LoraWeights | null, alpha: number): Float64Array {
  const { seqLen: L, dim: d, vocabSize: V, mlpMult } = config;
  const get = (n: string) => (w.tensors.get(n) as { data: Float32Array }).data;
  const dense = (x: number[], name: string, inF: number, outF: number): number[] => {
    const W = get(`${name}_w`);
    const b = get(`${name}_b`);
    return Array.from({ length: outF }, (_, o) => {
      let s = b[o] as number;
      for (let i = 0; i < inF; i++) s += (x[i] as number) * (W[i * outF + o] as number);
      return s;
    });
  };
  const ln = (x: number[], g: Float32Array, b: Float32Array) => {
    const mean = x.reduce((a, v) => a + v, 0) / x.length;
    const variance = x.reduce((a, v) => a + (v - mean) ** 2, 0) / x.length;
    return x.map((v, j) => ((v - mean) / Math.sqrt(variance + 1e-5)) * (g[j] as number) + (b[j] as number));
  };
  const relu = (x: number[]) => x.map((v) => Math.max(0, v));
  const tf = new Float32Array(timeFeatureCount(config));
  timeFeaturesInto(config, t, tf);
  const time = dense([...tf], 'time', tf.length, d);
  const tok = get('tok');
  const pos = get('pos');
  let h = Array.from({ length: L }, (_, i) => Array.from({ length: d }, (_, j) => (tok[(tokens[i] as number) * d + j] as number) + (pos[i * d + j] as number) + (time[j] as number)));
  config.dilations.forEach((delta, k) => {
    const a = h.map((row) => ln(row, get(`b${k}.ln_g`), get(`b${k}.ln_b`)));
    const zero = new Array(d).fill(0);
    h = h.map((row, i) => {
      const taps = [...(a[i - delta] ?? zero), ...(a[i] as number[]), ...(a[i + delta] ?? zero)];
      const c = relu(dense(taps, `b${k}.conv`, 3 * d, d));
      const u = relu(dense(c, `b${k}.up`, d, mlpMult * d));
      const down = dense(u, `b${k}.down`, mlpMult * d, d);
      return row.map((v, j) => v + (down[j] as number));
    });
  });
  const delta = micro ? materializeDelta(micro) : null;
  const out = new Float64Array(L * V);
  h.forEach((row, i) => {
    const x = ln(row, get('lnf_g'), get('lnf_b'));
    const pre = dense(x, 'head', d, d);
    if (delta) for (let o = 0; o < d; o++) for (let j = 0; j < d; j++) pre[o] = (pre[o] as number) + alpha * (delta[o * d + j] as number) * (x[j] as number);
    const logits = dense(relu(pre), 'out', d, V);
    out.set(logits, i * V);
  });
  return out;
}

const TOKENS = Int32Array.from([5, MASK, 9, 3, MASK, 12, PAD, PAD]);

describe('DiffusionLM forward', () => {
  let model: DiffusionLM;
  let weights: ModelWeights;
  beforeAll(async () => {
    weights = randomWeights(TINY, 3);
    model = await tinyModel(3);
  });

  it('matches a float64 reference of the whole network, without and with a micro adapter and α', () => {
    const micro = randomAdapter(TINY.dim, 2, 5);
    for (const [adapter, alpha, t] of [[null, 1, 0.3], [micro, 1, 0.7], [micro, 0.4, 0]] as const) {
      const got = model.forwardWithLora(TOKENS, t, { micro: adapter, alpha }).logits;
      const want = naiveLogits(TINY, weights, TOKENS, t, adapter, alpha);
      expect(maxAbsDiff(got, want)).toBeLessThan(2e-4);
    }
  });

  it('a batch of requests with different adapters equals each request alone', () => {
    const a = randomAdapter(TINY.dim, 2, 1);
    const b = randomAdapter(TINY.dim, 1, 2);
    const reqs = [
      { tokens: TOKENS, t: 0.5, micro: a, alpha: 1 },
      { tokens: Int32Array.from([MASK, MASK, 7, 7, 7, MASK, 4, PAD]), t: 0.9, micro: null },
      { tokens: TOKENS, t: 0.5, micro: b, alpha: 2.5 },
    ];
    const batch = model.forwardBatch(reqs);
    reqs.forEach((r, k) => expect(maxAbsDiff((batch[k] as { logits: Float32Array }).logits, model.forwardWithLora(r.tokens, r.t, r).logits)).toBeLessThan(1e-5));
    // Different adapters really give different outputs (the batch did not apply one adapter to all).
    expect(maxAbsDiff(batch[0]!.logits, batch[2]!.logits)).toBeGreaterThan(1e-3);
  });

  it('forwardHead on a forward\'s features re-runs only the head, with the same result', () => {
    const micro = randomAdapter(TINY.dim, 2, 9);
    const first = model.forwardWithLora(TOKENS, 0.4);
    const again = model.forwardHead(first.features, { micro });
    expect(maxAbsDiff(again.logits, model.forwardWithLora(TOKENS, 0.4, { micro }).logits)).toBeLessThan(1e-5);
  });

  it('embedQuery is the L2-normalised mean of the non-PAD features', () => {
    const e = model.embedQuery(TOKENS, 0.2);
    const f = model.forwardWithLora(TOKENS, 0.2).features;
    const mean = new Float64Array(TINY.dim);
    for (let i = 0; i < 6; i++) for (let j = 0; j < TINY.dim; j++) mean[j]! += f[i * TINY.dim + j]!;
    const norm = Math.hypot(...mean);
    expect(maxAbsDiff(e, [...mean].map((v) => v / norm))).toBeLessThan(1e-5);
    expect(Math.hypot(...e)).toBeCloseTo(1, 5);
    expect(() => model.embedQuery(new Int32Array(TINY.seqLen))).toThrow(/empty query/);
  });

  it('rejects bad tokens, lengths, timesteps and adapter shapes with typed errors', () => {
    const code = errorCode;
    expect(code(() => model.forwardWithLora(new Int32Array(3), 0.5))).toBe('DIMENSION_MISMATCH');
    expect(code(() => model.forwardWithLora(Int32Array.from([1, 2, 999, 0, 0, 0, 0, 0]), 0.5))).toBe('OUT_OF_RANGE');
    expect(code(() => model.forwardWithLora(TOKENS, 1.5))).toBe('OUT_OF_RANGE');
    expect(code(() => model.forwardWithLora(TOKENS, Number.NaN))).toBe('NON_FINITE');
    expect(code(() => model.forwardWithLora(TOKENS, 0.5, { micro: randomAdapter(TINY.dim + 1, 2, 1) }))).toBe('DIMENSION_MISMATCH');
    expect(code(() => model.forwardWithLora(TOKENS, 0.5, { micro: randomAdapter(TINY.dim, 2, 1), alpha: Number.POSITIVE_INFINITY }))).toBe('NON_FINITE');
  });
});

describe('DiffusionLM.denoiseStep', () => {
  let model: DiffusionLM;
  beforeAll(async () => {
    model = await tinyModel(4);
  });
  const masks = (t: Int32Array) => t.reduce((n, id) => n + (id === MASK ? 1 : 0), 0);

  it('fills ⌈masked / (stepsLeft + 1)⌉ positions, the most confident first, with their argmax', () => {
    const tokens = Int32Array.from([MASK, MASK, MASK, 8, MASK, PAD, PAD, PAD]);
    const V = TINY.vocabSize;
    const logits = new Float32Array(TINY.seqLen * V);
    // Position p prefers character 10 + p with margin p + 1: confidence grows with p.
    for (const p of [0, 1, 2, 4]) logits[p * V + 10 + p] = p + 1;
    const next = model.denoiseStep(tokens, logits, { stepsLeft: 1 });
    expect(masks(next)).toBe(2);
    expect(next[4]).toBe(14);
    expect(next[2]).toBe(12);
    expect(next[0]).toBe(MASK);
    expect(tokens[4]).toBe(MASK); // input untouched
    const last = model.denoiseStep(next, logits, { stepsLeft: 0 });
    expect(masks(last)).toBe(0);
    expect([...last.slice(5)]).toEqual([PAD, PAD, PAD]);
  });

  it('never writes PAD or MASK even when their logits are the largest', () => {
    const tokens = Int32Array.from([MASK, MASK, 5, 5, 5, 5, 5, 5]);
    const logits = new Float32Array(TINY.seqLen * TINY.vocabSize);
    for (let p = 0; p < 2; p++) {
      logits[p * TINY.vocabSize + PAD] = 50;
      logits[p * TINY.vocabSize + MASK] = 60;
    }
    const out = model.denoiseStep(tokens, logits, { stepsLeft: 0 });
    expect(out[0]).toBeGreaterThan(MASK);
    expect(out[1]).toBeGreaterThan(MASK);
  });

  it('samples from softmax(logits / temperature) when asked', async () => {
    const { SeededRng } = await import('@microlora/core');
    const tokens = Int32Array.from([MASK, 5, 5, 5, 5, 5, 5, 5]);
    const logits = new Float32Array(TINY.seqLen * TINY.vocabSize);
    logits[10] = 1;
    logits[11] = 1; // two equally likely characters, the rest e¹ times less likely
    const rng = new SeededRng(1);
    const seen = new Map<number, number>();
    for (let i = 0; i < 2000; i++) {
      const id = model.denoiseStep(tokens, logits, { stepsLeft: 0, temperature: 1, rng })[0] as number;
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    const others = TINY.vocabSize - 2 - 2; // characters besides 10 and 11 (PAD/MASK excluded)
    const p10 = Math.E / (2 * Math.E + others);
    expect((seen.get(10) ?? 0) / 2000).toBeGreaterThan(p10 - 0.04);
    expect((seen.get(10) ?? 0) / 2000).toBeLessThan(p10 + 0.04);
    expect(seen.has(PAD) || seen.has(MASK)).toBe(false);
  });
});
