import { describe, expect, it } from 'vitest';
import { SeededRng, isMicroLoraError, loraFromFactors } from '@microlora/core';
import type { CompressedLora, LoraWeights, QuantizedTensor } from '@microlora/core';
import { createJsBackend } from '@microlora/simd';
import type { SimdOps } from '@microlora/simd';
import {
  DEFAULT_GROUP_SIZE,
  QUANT_SCHEMES,
  SCALE_MIN,
  compress,
  compressedLoraProblem,
  decompress,
  decompressInto,
  dequantizeTensorInto,
} from '@microlora/quantization';
import { randomLora } from './fixtures.js';
import { codeOf } from './helpers.js';

/** Largest |x − x̂| / (scale/2) over a factor, with x̂ decoded in float64 from the tensor itself. */
function worstHalfStepRatio(original: Float32Array, t: QuantizedTensor, decoded: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < original.length; i++) {
    const g = Math.floor(i / t.groupSize);
    const scale = t.scales[g]!;
    // float32 rounding of the decoded value adds at most half an ulp of it
    const slack = Math.abs(decoded[i]!) * 2 ** -24;
    const err = Math.abs(original[i]! - decoded[i]!) - slack;
    worst = Math.max(worst, err / (scale / 2));
  }
  return worst;
}

function shapesFor(scheme: string): [number, number, number][] {
  return scheme === 'grouped'
    ? [
        [1, 64, 128],
        [3, 128, 64],
        [4, 256, 192],
      ]
    : [
        [1, 1, 1],
        [1, 7, 3],
        [2, 33, 65],
        [4, 100, 17],
      ];
}

describe('compress / decompress round trip', () => {
  for (const scheme of QUANT_SCHEMES) {
    it(`${scheme}: every value within scale/2, metadata preserved, output valid`, () => {
      let seed = 10;
      for (const [rank, n, m] of shapesFor(scheme)) {
        for (const bound of [1, 1e-3, 37]) {
          const lora = randomLora(seed++, rank, n, m, bound);
          const c = compress(lora, scheme);
          expect(compressedLoraProblem(c)).toBeUndefined();
          expect(c.scheme).toBe(scheme);
          const back = decompress(c);
          expect([back.rank, back.inFeatures, back.outFeatures, back.alpha, back.scaling, back.layerMask]).toEqual([
            lora.rank,
            lora.inFeatures,
            lora.outFeatures,
            lora.alpha,
            lora.scaling,
            lora.layerMask,
          ]);
          expect(worstHalfStepRatio(lora.a, c.a, back.a)).toBeLessThanOrEqual(1 + 1e-6);
          expect(worstHalfStepRatio(lora.b, c.b, back.b)).toBeLessThanOrEqual(1 + 1e-6);
        }
      }
    });
  }

  it('per-row scales are maxAbs/127 of each rank row (as float32); per-tensor one scale per factor', () => {
    const lora = randomLora(3, 3, 50, 20);
    const c = compress(lora, 'per-row');
    expect(c.a.groupSize).toBe(50);
    expect(c.b.groupSize).toBe(20);
    for (let r = 0; r < 3; r++) {
      const row = lora.a.subarray(r * 50, (r + 1) * 50);
      expect(c.a.scales[r]).toBe(Math.fround(Math.max(...row.map(Math.abs)) / 127));
    }
    const t = compress(lora, 'per-tensor');
    expect(t.a.scales.length).toBe(1);
    expect(t.a.groupSize).toBe(150);
    expect(t.a.scales[0]).toBe(Math.fround(Math.max(...lora.a.map(Math.abs)) / 127));
    expect(t.a.zeroPoints).toBeNull();
  });

  it('values on the grid decode exactly', () => {
    const a = Float32Array.from({ length: 255 }, (_, i) => (i - 127) * 0.5);
    const b = Float32Array.from({ length: 255 }, (_, i) => (127 - i) * 0.25);
    const lora = loraFromFactors({ rank: 1, inFeatures: 255, outFeatures: 255, a, b });
    for (const scheme of ['per-tensor', 'per-row'] as const) {
      const back = decompress(compress(lora, scheme));
      expect(back.a).toEqual(a);
      expect(back.b).toEqual(b);
    }
  });

  it('a row uses the whole int8 range: ±127 symmetric, −128…127 asymmetric', () => {
    const rng = new SeededRng(5);
    const a = rng.fillUniform(new Float32Array(300), -0.1, 1);
    const lora = loraFromFactors({ rank: 1, inFeatures: 300, outFeatures: 300, a, b: a.slice() });
    const sym = compress(lora, 'per-row').a.data;
    expect(Math.max(...sym)).toBe(127);
    const asym = compress(lora, 'asymmetric');
    expect(Math.min(...asym.a.data)).toBe(-128);
    expect(Math.max(...asym.a.data)).toBe(127);
    // the asymmetric step is finer than the symmetric one for a skewed row
    expect(asym.a.scales[0]!).toBeLessThan(compress(lora, 'per-row').a.scales[0]! * 0.6);
  });

  it('zero rows get a valid scale and decode to exact zeros in every scheme', () => {
    const rng = new SeededRng(9);
    const a = rng.fillNormal(new Float32Array(3 * 64));
    a.fill(0, 64, 128); // middle rank row of A is zero
    const lora = loraFromFactors({ rank: 3, inFeatures: 64, outFeatures: 128, a, b: new Float32Array(3 * 128) });
    for (const scheme of QUANT_SCHEMES) {
      const c = compress(lora, scheme);
      expect(compressedLoraProblem(c)).toBeUndefined();
      for (const s of [...c.a.scales, ...c.b.scales]) {
        expect(Number.isFinite(s) && s >= SCALE_MIN).toBe(true);
      }
      const back = decompress(c);
      expect(back.b.every((v) => Object.is(v, 0))).toBe(true);
      if (scheme !== 'per-tensor') expect(back.a.subarray(64, 128).every((v) => Object.is(v, 0))).toBe(true);
    }
  });

  it('tiny (subnormal) values get the smallest normal scale and stay within scale/2', () => {
    const a = Float32Array.from([1e-44, -3e-45, 0, 1.4e-45]);
    const lora = loraFromFactors({ rank: 1, inFeatures: 4, outFeatures: 4, a, b: a.slice() });
    for (const scheme of QUANT_SCHEMES) {
      const c = compress(lora, scheme, scheme === 'grouped' ? { groupSize: 2 } : {});
      expect(compressedLoraProblem(c)).toBeUndefined();
      expect(c.a.scales[0]).toBe(SCALE_MIN);
      expect(worstHalfStepRatio(a, c.a, decompress(c).a)).toBeLessThanOrEqual(1);
    }
  });

  it('grouped: default 64 values per scale, groups never straddle rows, each group has its own scale', () => {
    const rng = new SeededRng(2);
    const lora = loraFromFactors({
      rank: 2,
      inFeatures: 128,
      outFeatures: 192,
      a: rng.fillNormal(new Float32Array(256)),
      b: rng.fillNormal(new Float32Array(384)),
    });
    const c = compress(lora, 'grouped');
    expect(c.a.groupSize).toBe(DEFAULT_GROUP_SIZE);
    expect(c.a.scales.length).toBe(4);
    expect(c.b.scales.length).toBe(6);
    const big = lora.a.slice();
    big[5] = 1000; // only group 0's scale may change
    const c2 = compress({ ...lora, a: big }, 'grouped');
    expect(c2.a.scales[0]).toBe(Math.fround(1000 / 127));
    expect(Array.from(c2.a.scales.subarray(1))).toEqual(Array.from(c.a.scales.subarray(1)));
    expect(compress(lora, 'grouped', { groupSize: 32 }).a.scales.length).toBe(8);
  });

  it('grouped: a groupSize that does not divide both row lengths is rejected with a suggestion', () => {
    const lora = randomLora(1, 1, 1000, 1000);
    try {
      compress(lora, 'grouped');
      expect.unreachable();
    } catch (err) {
      expect(isMicroLoraError(err, 'INVALID_ARGUMENT')).toBe(true);
      expect((err as Error).message).toContain('groupSize: 50');
    }
    expect(compress(lora, 'grouped', { groupSize: 50 }).a.scales.length).toBe(20);
    expect(codeOf(() => compress(randomLora(1, 1, 64, 96), 'grouped', { groupSize: 64 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => compress(lora, 'grouped', { groupSize: 0 }))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => compress(lora, 'grouped', { groupSize: 2.5 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => compress(lora, 'per-row', { groupSize: 50 }))).toBe('INVALID_ARGUMENT');
  });

  it('rejects bad input with typed errors', () => {
    const lora = randomLora(1, 2, 8, 8);
    const nan = lora.a.slice();
    nan[3] = Number.NaN;
    expect(codeOf(() => compress({ ...lora, a: nan }))).toBe('NON_FINITE');
    const huge = lora.b.slice();
    huge[0] = 3e38;
    expect(codeOf(() => compress({ ...lora, b: huge }))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => compress({ ...lora, a: lora.a.subarray(1) }))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => compress(lora, 'fp4' as never))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => compress({ ...lora, rank: 0 }))).toBe('RANK_OUT_OF_RANGE');
    expect(codeOf(() => compress({ ...lora, layerMask: -1n }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => compress(null as unknown as LoraWeights))).toBe('INVALID_ARGUMENT');
  });

  it('an explicit backend gives the same result as the default one', () => {
    const lora = randomLora(4, 2, 64, 64);
    const js = createJsBackend();
    for (const scheme of QUANT_SCHEMES) {
      expect(compress(lora, scheme, { backend: js })).toEqual(compress(lora, scheme));
      const c = compress(lora, scheme);
      expect(decompress(c, { backend: js })).toEqual(decompress(c));
    }
  });

  it('decompress rejects a malformed CompressedLora', () => {
    const c = compress(randomLora(1, 2, 8, 8));
    const bad: CompressedLora = { ...c, a: { ...c.a, scales: new Float32Array([0, 1]) } };
    expect(codeOf(() => decompress(bad))).toBe('INVALID_ARGUMENT');
  });
});

describe('decompressInto', () => {
  /** (q − z)·fround(scale·factor), rounded once to float32: the documented result. */
  function expected(t: QuantizedTensor, factor: number): Float32Array {
    return Float32Array.from(t.data, (q, i) => {
      const g = Math.floor(i / t.groupSize);
      return (q - (t.zeroPoints?.[g] ?? 0)) * Math.fround(t.scales[g]! * factor);
    });
  }

  /** The JS reference backend under another name, counting its dequantizeI8 calls. */
  function probeBackend(): { backend: SimdOps; calls: () => number } {
    const js = createJsBackend();
    let calls = 0;
    const backend: SimdOps = Object.create(js, {
      name: { value: 'probe' },
      dequantizeI8: {
        value: (q: Int8Array, scale: number, out: Float32Array, zeroPoint?: number) => {
          calls++;
          js.dequantizeI8(q, scale, out, zeroPoint);
        },
      },
    }) as SimdOps;
    return { backend, calls: () => calls };
  }

  for (const scheme of QUANT_SCHEMES) {
    it(`${scheme}: writes A·aFactor and Bᵀ·bFactor into views of a stacked buffer, touching nothing else`, () => {
      const c = compress(randomLora(7, 2, 128, 64), scheme);
      const stackedA = new Float32Array(3 * 2 * 128).fill(7);
      const stackedB = new Float32Array(3 * 2 * 64).fill(7);
      const target = { a: stackedA.subarray(256, 512), b: stackedB.subarray(128, 256) };
      for (const [aFactor, bFactor] of [
        [1, 1],
        [0.37, -2.5],
        [0, 1e-3],
      ] as const) {
        decompressInto(c, target, { aFactor, bFactor });
        expect(target.a).toEqual(expected(c.a, aFactor));
        expect(target.b).toEqual(expected(c.b, bFactor));
        expect(stackedA.subarray(0, 256).every((v) => v === 7) && stackedA.subarray(512).every((v) => v === 7)).toBe(true);
        expect(stackedB.subarray(0, 128).every((v) => v === 7) && stackedB.subarray(256).every((v) => v === 7)).toBe(true);
        // the backend path gives the same bits as the kernel, into views or at offsets
        const viaBackend = { a: new Float32Array(256), b: new Float32Array(128) };
        decompressInto(c, viaBackend, { aFactor, bFactor, backend: probeBackend().backend });
        expect(viaBackend.a).toEqual(target.a);
        expect(viaBackend.b).toEqual(target.b);
        const stacked = { a: new Float32Array(300).fill(7), b: new Float32Array(200).fill(7) };
        decompressInto(c, stacked, { aFactor, bFactor, aOffset: 44, bOffset: 72, backend: probeBackend().backend });
        expect(stacked.a.subarray(44, 300)).toEqual(target.a);
        expect(stacked.b.subarray(72, 200)).toEqual(target.b);
        expect(stacked.a.subarray(0, 44).every((v) => v === 7) && stacked.b.subarray(0, 72).every((v) => v === 7)).toBe(true);
      }
    });
  }

  it('aOffset/bOffset write straight into the stacked buffers, same bits as views', () => {
    for (const scheme of QUANT_SCHEMES) {
      const c = compress(randomLora(11, 2, 40, 24), scheme, scheme === 'grouped' ? { groupSize: 8 } : {});
      const viaViews = { a: new Float32Array(80), b: new Float32Array(48) };
      decompressInto(c, viaViews, { aFactor: -0.7, bFactor: 3 });
      const stackedA = new Float32Array(200).fill(9);
      const stackedB = new Float32Array(100).fill(9);
      decompressInto(c, { a: stackedA, b: stackedB }, { aFactor: -0.7, bFactor: 3, aOffset: 13, bOffset: 52, backend: createJsBackend() });
      expect(stackedA.subarray(13, 93)).toEqual(viaViews.a);
      expect(stackedB.subarray(52, 100)).toEqual(viaViews.b);
      expect([...stackedA.subarray(0, 13), ...stackedA.subarray(93)].every((v) => v === 9)).toBe(true);
      expect(stackedB.subarray(0, 52).every((v) => v === 9)).toBe(true);
    }
    const c = compress(randomLora(1, 2, 8, 4));
    const ok = { a: new Float32Array(20), b: new Float32Array(8) };
    expect(codeOf(() => decompressInto(c, ok, { aOffset: 5 }))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => decompressInto(c, ok, { aOffset: 4 }))).toBeUndefined();
    expect(codeOf(() => decompressInto(c, ok, { aOffset: -1 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => decompressInto(c, ok, { aOffset: 0, bOffset: 0.5 }))).toBe('INVALID_ARGUMENT');
  });

  it('calls backend.dequantizeI8 once per group of ≥ 128 values, and never for factors ≤ 0 or the js backend', () => {
    const lora = randomLora(12, 2, 256, 128);
    const target = { a: new Float32Array(512), b: new Float32Array(256) };
    const expectCalls = (c: CompressedLora, options: object, calls: number): void => {
      const probe = probeBackend();
      decompressInto(c, target, { ...options, backend: probe.backend });
      expect(probe.calls()).toBe(calls);
    };
    expectCalls(compress(lora, 'per-tensor'), {}, 2);
    expectCalls(compress(lora, 'per-row'), {}, 4);
    expectCalls(compress(lora, 'asymmetric'), { aFactor: 0.5 }, 4);
    expectCalls(compress(lora, 'grouped', { groupSize: 128 }), {}, 4 + 2);
    expectCalls(compress(lora, 'grouped', { groupSize: 64 }), {}, 0); // small groups: kernel
    expectCalls(compress(lora, 'per-row'), { aFactor: -1 }, 2); // A by the kernel, B by the backend
    expectCalls(compress(lora, 'per-row'), { aFactor: 0, bFactor: 0 }, 0);
    // repeated calls into fresh views of one buffer reuse the cached group views (same result)
    const c = compress(lora, 'per-row');
    const buffer = new Float32Array(2048);
    const probe = probeBackend();
    for (let k = 0; k < 3; k++) {
      decompressInto(c, { a: buffer.subarray(100, 612), b: buffer.subarray(700, 956) }, { backend: probe.backend });
    }
    decompressInto(c, target);
    expect(buffer.subarray(100, 612)).toEqual(target.a);
    expect(buffer.subarray(700, 956)).toEqual(target.b);
    const js = createJsBackend();
    let jsCalls = 0;
    const counted = Object.create(js, { dequantizeI8: { value: () => void jsCalls++ } }) as SimdOps;
    decompressInto(compress(lora, 'per-tensor'), target, { backend: counted });
    expect(jsCalls).toBe(0);
  });

  it("hands the backend views of the caller's arrays that keep their class, so a backend's own memory stays recognisable", () => {
    // A WASM backend tells its arena arrays from others by their class; subarray() keeps it (species).
    class Resident extends Float32Array {}
    class ResidentI8 extends Int8Array {}
    const js = createJsBackend();
    const seen: boolean[] = [];
    const backend = Object.create(js, {
      name: { value: 'probe' },
      dequantizeI8: {
        value: (q: Int8Array, scale: number, out: Float32Array, zeroPoint?: number) => {
          seen.push(q instanceof ResidentI8 && out instanceof Resident);
          js.dequantizeI8(q, scale, out, zeroPoint);
        },
      },
    }) as SimdOps;
    const lora = randomLora(13, 2, 256, 128);
    for (const scheme of QUANT_SCHEMES) {
      const c = compress(lora, scheme, scheme === 'grouped' ? { groupSize: 128 } : {});
      const staged: CompressedLora = {
        ...c,
        a: { ...c.a, data: new ResidentI8(1024).subarray(100, 612) },
        b: { ...c.b, data: new ResidentI8(512).subarray(0, 256) },
      };
      staged.a.data.set(c.a.data);
      staged.b.data.set(c.b.data);
      const stackA = new Resident(1024);
      const stackB = new Resident(512);
      const plain = { a: new Float32Array(512), b: new Float32Array(256) };
      decompressInto(c, plain, { aFactor: 0.5 });
      // into views, and into whole stacked buffers at offsets; twice, so cached views are used too
      for (let k = 0; k < 2; k++) {
        decompressInto(staged, { a: stackA.subarray(256, 768), b: stackB.subarray(0, 256) }, { aFactor: 0.5, backend });
        expect(Float32Array.from(stackA.subarray(256, 768))).toEqual(plain.a);
        decompressInto(staged, { a: stackA, b: stackB }, { aFactor: 0.5, aOffset: 512, bOffset: 256, backend });
        expect(Float32Array.from(stackA.subarray(512))).toEqual(plain.a);
        expect(Float32Array.from(stackB.subarray(256))).toEqual(plain.b);
      }
    }
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every(Boolean)).toBe(true);
  });

  it('adapters taking turns in one target each decode exactly (cached views never go stale)', () => {
    const probe = probeBackend();
    const target = { a: new Float32Array(512), b: new Float32Array(256) };
    const adapters = [1, 2, 3].map((seed) =>
      seed === 2 ? compress(randomLora(seed, 2, 256, 128), 'grouped', { groupSize: 128 }) : compress(randomLora(seed, 2, 256, 128), 'per-row'),
    );
    for (let k = 0; k < 6; k++) {
      const c = adapters[k % 3]!;
      decompressInto(c, target, { aFactor: 0.25 + k, backend: probe.backend });
      expect(target.a).toEqual(expected(c.a, 0.25 + k));
      expect(target.b).toEqual(expected(c.b, 1));
    }
    expect(probe.calls()).toBe(6 * 4 + 2 * 2); // per-row: 2 + 2 groups; grouped (128): 4 + 2
  });

  it('dequantizeTensorInto: one factor, the same bits and backend dispatch as decompressInto, steps still checked', () => {
    const lora = randomLora(14, 2, 256, 128);
    for (const scheme of QUANT_SCHEMES) {
      const c = compress(lora, scheme, scheme === 'grouped' ? { groupSize: 128 } : {});
      for (const factor of [0.37, 1, -2.5, 0]) {
        const whole = { a: new Float32Array(512), b: new Float32Array(256) };
        decompressInto(c, whole, { aFactor: factor });
        const viaDecompress = probeBackend();
        decompressInto(c, { a: new Float32Array(512), b: new Float32Array(256) }, { aFactor: factor, backend: viaDecompress.backend });
        const probe = probeBackend();
        const stacked = new Float32Array(600).fill(5);
        dequantizeTensorInto(c.a, factor, stacked, 40, probe.backend);
        expect(stacked.subarray(40, 552)).toEqual(whole.a);
        expect(stacked.subarray(0, 40).every((v) => v === 5) && stacked.subarray(552).every((v) => v === 5)).toBe(true);
        const b = new Float32Array(256);
        dequantizeTensorInto(c.b, 1, b, 0, probe.backend);
        expect(b).toEqual(whole.b);
        expect(probe.calls()).toBe(viaDecompress.calls());
        const noBackend = new Float32Array(512);
        dequantizeTensorInto(c.a, factor, noBackend); // the built-in kernel
        expect(noBackend).toEqual(whole.a);
      }
    }
    const c = compress(randomLora(1, 1, 8, 8, 100));
    const out = new Float32Array(8).fill(3);
    expect(codeOf(() => dequantizeTensorInto(c.a, 1e39, out))).toBe('NON_FINITE');
    expect(out.every((v) => v === 3)).toBe(true);
  });

  it('rejects a factor whose float32 step overflows, before writing anything', () => {
    const c = compress(randomLora(1, 1, 8, 8, 100));
    const target = { a: new Float32Array(8).fill(3), b: new Float32Array(8).fill(3) };
    expect(codeOf(() => decompressInto(c, target, { bFactor: 1e39 }))).toBe('NON_FINITE');
    expect(target.a.every((v) => v === 3)).toBe(true);
  });

  it('defaults both factors to 1, i.e. equals decompress', () => {
    const c = compress(randomLora(8, 3, 40, 24), 'asymmetric');
    const target = { a: new Float32Array(120), b: new Float32Array(72) };
    decompressInto(c, target);
    const d = decompress(c);
    expect(target.a).toEqual(d.a);
    expect(target.b).toEqual(d.b);
  });

  it('rejects wrong target lengths, non-Float32Array targets and non-finite factors', () => {
    const c = compress(randomLora(1, 2, 8, 4));
    const ok = { a: new Float32Array(16), b: new Float32Array(8) };
    expect(codeOf(() => decompressInto(c, { ...ok, a: new Float32Array(15) }))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => decompressInto(c, { ...ok, b: new Float32Array(9) }))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => decompressInto(c, { ...ok, a: new Float64Array(16) as unknown as Float32Array }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(codeOf(() => decompressInto(c, ok, { aFactor: Number.NaN }))).toBe('NON_FINITE');
    expect(codeOf(() => decompressInto(c, ok, { bFactor: Number.POSITIVE_INFINITY }))).toBe('NON_FINITE');
    const malformed: CompressedLora = { ...c, b: { ...c.b, scales: new Float32Array(1) } };
    expect(codeOf(() => decompressInto(malformed, ok))).toBe('INVALID_ARGUMENT');
    const noData = { ...c, a: { ...c.a, data: undefined } } as unknown as CompressedLora;
    expect(codeOf(() => decompressInto(noData, ok))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => decompressInto({ ...c, b: null } as unknown as CompressedLora, ok))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => decompressInto(null as unknown as CompressedLora, ok))).toBe('INVALID_ARGUMENT');
  });
});
