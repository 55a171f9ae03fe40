import { describe, expect, it } from 'vitest';
import { SeededRng, isMicroLoraError } from 'microlora';
import { ResponseHead } from '../src/response-head.js';
import { STYLE_ADAPTER_GAIN, styleAdapter } from '../src/style-adapter.js';

const D = 96;

function naiveProbabilities(head: ResponseHead, h: Float32Array): number[] {
  const logits = Array.from({ length: head.styles }, (_, s) => {
    const row = head.direction(s);
    let sum = 0;
    for (let i = 0; i < D; i++) sum += row[i]! * h[i]!;
    return sum;
  });
  const max = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - max));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / total);
}

function expectCode(run: () => unknown, code: string): void {
  try {
    run();
  } catch (error) {
    expect(isMicroLoraError(error) ? error.code : error).toBe(code);
    return;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

describe('ResponseHead', () => {
  const head = new ResponseHead(4, D, 11);
  const h = new SeededRng(3).fillNormal(new Float32Array(D));

  it('has unit-norm rows and is the same for the same seed', () => {
    for (let s = 0; s < 4; s++) {
      const row = head.direction(s);
      expect(Math.hypot(...row)).toBeCloseTo(1, 6);
    }
    expect(Array.from(new ResponseHead(4, D, 11).direction(2))).toEqual(Array.from(head.direction(2)));
    expect(Array.from(new ResponseHead(4, D, 12).direction(2))).not.toEqual(Array.from(head.direction(2)));
  });

  it('computes the softmax of W·h like a float64 reference', () => {
    const p = head.probabilitiesInto(h, new Float64Array(4));
    const ref = naiveProbabilities(head, h);
    p.forEach((v, s) => expect(v).toBeCloseTo(ref[s]!, 12));
    expect(ResponseHead.argmax(p)).toBe(ref.indexOf(Math.max(...ref)));
  });

  it('gives ∂(logit_chosen − mean logit)/∂h that matches central finite differences', () => {
    const margin = (x: Float32Array, chosen: number): number => {
      const logits = Array.from({ length: 4 }, (_, s) => head.direction(s).reduce((sum, w, i) => sum + w * x[i]!, 0));
      return logits[chosen]! - logits.reduce((a, b) => a + b, 0) / 4;
    };
    const chosen = 1;
    const g = head.marginGradientInto(chosen, new Float32Array(D));
    const eps = 1e-2;
    for (const i of [0, 7, 50, D - 1]) {
      const plus = Float64Array.from(h);
      const minus = Float64Array.from(h);
      plus[i]! += eps;
      minus[i]! -= eps;
      const numeric = (margin(new Float32Array(plus), chosen) - margin(new Float32Array(minus), chosen)) / (2 * eps);
      expect(g[i]).toBeCloseTo(numeric, 4);
    }
    // Raising h along the gradient raises the chosen style's probability.
    const before = head.probabilitiesInto(h, new Float64Array(4))[chosen]!;
    const moved = h.map((x, i) => x + g[i]!);
    expect(head.probabilitiesInto(moved, new Float64Array(4))[chosen]!).toBeGreaterThan(before);
  });

  it('rejects bad input with codes', () => {
    expectCode(() => head.probabilitiesInto(new Float32Array(D - 1), new Float64Array(4)), 'DIMENSION_MISMATCH');
    expectCode(() => head.probabilitiesInto(h, new Float64Array(3)), 'DIMENSION_MISMATCH');
    const bad = Float32Array.from(h);
    bad[5] = Number.NaN;
    expectCode(() => head.probabilitiesInto(bad, new Float64Array(4)), 'NON_FINITE');
    expectCode(() => head.direction(4), 'OUT_OF_RANGE');
    expectCode(() => head.marginGradientInto(-1, new Float32Array(D)), 'OUT_OF_RANGE');
    expectCode(() => head.marginGradientInto(0, new Float32Array(D + 1)), 'DIMENSION_MISMATCH');
    expectCode(() => new ResponseHead(1, D), 'INVALID_ARGUMENT');
  });
});

describe('styleAdapter', () => {
  it('raises the style logit by gain × cosine for a unit-RMS hidden state', () => {
    const head = new ResponseHead(4, D, 5);
    const rng = new SeededRng(9);
    const e = rng.fillNormal(new Float32Array(D));
    const lora = styleAdapter(e, head.direction(2));
    const q = rng.fillNormal(new Float32Array(D));
    const norm = Math.hypot(...q);
    const hidden = q.map((x) => (x * Math.sqrt(D)) / norm); // norm √d, i.e. unit RMS
    const cosine = e.reduce((s, x, i) => s + x * q[i]!, 0) / (Math.hypot(...e) * norm);
    // ΔW·h = scaling · B(A h) with the rank-major layout; float64 reference:
    let ah = 0;
    for (let i = 0; i < D; i++) ah += lora.a[i]! * hidden[i]!;
    const delta = Array.from({ length: D }, (_, o) => lora.scaling * lora.b[o]! * ah);
    const row = head.direction(2);
    const logitRise = delta.reduce((s, x, o) => s + x * row[o]!, 0);
    expect(lora.rank).toBe(1);
    expect(logitRise).toBeCloseTo(STYLE_ADAPTER_GAIN * cosine, 4);
  });

  it('rejects a zero embedding and mismatched lengths', () => {
    const head = new ResponseHead(4, D, 5);
    expectCode(() => styleAdapter(new Float32Array(D), head.direction(0)), 'INVALID_ARGUMENT');
    expectCode(() => styleAdapter(new Float32Array(D + 1).fill(1), head.direction(0)), 'DIMENSION_MISMATCH');
  });
});
