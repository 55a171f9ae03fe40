import { describe, expect, it } from 'vitest';
import { SeededRng, isMicroLoraError } from '@microlora/core';
import { createJsBackend } from '@microlora/simd';
import { SYNC_COMPILE_LIMIT_BYTES, WASM_MODULE_BYTE_LENGTH, createWasmBackend, initWasmBackend } from '@microlora/simd-wasm';

const wasm = createWasmBackend();
const js = createJsBackend();

function roundHalfAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

/** Values at, just below and just above every .5 tie in [-300, 300], as float32. */
function tieNeighbourhood(): Float32Array {
  const out: number[] = [];
  const f = new Float32Array(1);
  const bits = new Int32Array(f.buffer);
  for (let k = -300; k <= 300; k++) {
    f[0] = k + 0.5;
    const tie = bits[0] as number;
    for (const d of [-2, -1, 0, 1, 2]) {
      bits[0] = tie + d;
      out.push(f[0] as number);
    }
  }
  return Float32Array.from(out);
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('the kernels module', () => {
  it(`is at most ${SYNC_COMPILE_LIMIT_BYTES} bytes, so browsers compile it synchronously on the main thread`, () => {
    expect(WASM_MODULE_BYTE_LENGTH).toBeGreaterThan(1000);
    expect(WASM_MODULE_BYTE_LENGTH).toBeLessThanOrEqual(SYNC_COMPILE_LIMIT_BYTES);
  });

  it('initWasmBackend() gives a working backend asynchronously', async () => {
    const backend = await initWasmBackend();
    expect(backend.name).toBe('wasm');
    expect(backend.dot(Float32Array.of(1, 2, 3), Float32Array.of(4, 5, 6))).toBe(32);
  });
});

describe('quantizeI8 rounding', () => {
  it('matches the reference exactly around every tie when 1/scale is exact (scales 2^k)', () => {
    const x = tieNeighbourhood();
    for (const scale of [1, 0.5, 0.25, 2, 4, 1 / 64]) {
      for (const zeroPoint of [0, 7, -100]) {
        const v = Float32Array.from(x, (t) => t * scale);
        const got = new Int8Array(v.length);
        wasm.quantizeI8(v, scale, got, zeroPoint);
        for (let i = 0; i < v.length; i++) {
          const want = Math.min(127, Math.max(-128, roundHalfAway((v[i] as number) / scale) + zeroPoint));
          if (got[i] !== want) throw new Error(`scale ${scale} zp ${zeroPoint}: x = ${v[i]} gave ${got[i]}, expected ${want}`);
        }
      }
    }
  });

  it('matches the JS backend exactly for scales outside float32 range (exact scalar path)', () => {
    const rng = new SeededRng(1);
    for (const scale of [1e-40, 3e-39, 1e38, 2e38]) {
      const x = Float32Array.from(rng.fillUniform(new Float64Array(101), -1, 1), (v) => v * Math.min(scale * 200, 3e38));
      const got = new Int8Array(101);
      const want = new Int8Array(101);
      wasm.quantizeI8(x, scale, got, 3);
      js.quantizeI8(x, scale, want, 3);
      expect(Array.from(got)).toEqual(Array.from(want));
    }
  });

  it('names the first non-finite entry, on the staged and the in-place path, and writes nothing', () => {
    const x = new Float32Array(37).fill(0.5);
    x[21] = Number.POSITIVE_INFINITY;
    x[30] = Number.NaN;
    const out = new Int8Array(37).fill(9);
    const err = thrownBy(() => wasm.quantizeI8(x, 0.1, out));
    expect(isMicroLoraError(err, 'NON_FINITE')).toBe(true);
    expect((err as { details: { index: number } }).details.index).toBe(21);
    expect(Array.from(out)).toEqual(new Array(37).fill(9));

    const block = wasm.arena.allocF32(37);
    block.array.set(x);
    const err2 = thrownBy(() => wasm.quantizeI8(block.array, 0.1, new Int8Array(37)));
    expect((err2 as { details: { index: number } }).details.index).toBe(21);
  });
});

describe('dequantizeI8', () => {
  it('agrees with the JS backend within two float32 roundings for every zero-point regime', () => {
    const q = Int8Array.from({ length: 259 }, (_, i) => (i % 256) - 128);
    for (const zeroPoint of [0, 5, -128, 32640, -32640, 32767, -32768]) {
      for (const scale of [0.0123, 1 / 3, 250]) {
        const got = new Float32Array(q.length);
        const want = new Float32Array(q.length);
        wasm.dequantizeI8(q, scale, got, zeroPoint);
        js.dequantizeI8(q, scale, want, zeroPoint);
        for (let i = 0; i < q.length; i++) {
          const w = want[i] as number;
          if (!(Math.abs((got[i] as number) - w) <= 2.5e-7 * Math.abs(w))) {
            throw new Error(`zp ${zeroPoint} scale ${scale}: q = ${q[i]} gave ${got[i]}, expected ${w}`);
          }
        }
      }
    }
  });

  it('is exact where float32 cannot hold the scale (scalar path): 0·3.5e38 is 0, not NaN', () => {
    const q = Int8Array.of(0, 1, -1, 127);
    for (const scale of [3.5e38, 1e-40]) {
      const got = new Float32Array(4);
      const want = new Float32Array(4);
      wasm.dequantizeI8(q, scale, got);
      js.dequantizeI8(q, scale, want);
      expect(Array.from(got)).toEqual(Array.from(want));
    }
  });
});

describe('softmax', () => {
  it('is within a few float32 ulps of float64 for every tail length and a wide input range', () => {
    const rng = new SeededRng(2);
    for (let n = 1; n <= 37; n++) {
      const x = rng.fillUniform(new Float32Array(n), -80, 20);
      const got = new Float32Array(n);
      wasm.softmax(x, got);
      let max = -Infinity;
      for (const v of x) max = Math.max(max, v);
      let sum = 0;
      for (const v of x) sum += Math.exp(v - max);
      for (let i = 0; i < n; i++) {
        const want = Math.exp((x[i] as number) - max) / sum;
        if (!(Math.abs((got[i] as number) - want) <= 4e-7 * want + 1e-37)) {
          throw new Error(`n ${n} [${i}]: got ${got[i]}, expected ${want}`);
        }
      }
    }
  });

  it('is exact for all-equal inputs at the float32 extremes, for every tail length', () => {
    for (const v of [-3.4028235e38, 3.4028235e38, -1e-45]) {
      for (let n = 1; n <= 9; n++) {
        const got = new Float32Array(n);
        wasm.softmax(new Float32Array(n).fill(v), got);
        for (const p of got) expect(p).toBeCloseTo(1 / n, 6);
      }
    }
  });

  it('gives exactly 0 to entries more than ~87 below the max', () => {
    const got = new Float32Array(6);
    wasm.softmax(Float32Array.of(0, -88, -1000, -3.4e38, -87.5, -90), got);
    expect(got[0]).toBe(1);
    expect(Array.from(got.subarray(1))).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('maxAbs', () => {
  it('returns NaN for any NaN bit pattern and ignores the sign of zero', () => {
    const x = new Float32Array(19).fill(-0);
    expect(Object.is(wasm.maxAbs(x), 0)).toBe(true);
    const bits = new Int32Array(x.buffer);
    bits[18] = 0xffc00001 | 0; // a negative NaN with payload
    expect(Number.isNaN(wasm.maxAbs(x))).toBe(true);
  });
});

describe('gemv and loraApply on larger shapes', () => {
  it('gemv 64×769 agrees with the JS backend', () => {
    const rng = new SeededRng(3);
    const m = rng.fillUniform(new Float32Array(64 * 769), -1, 1);
    const x = rng.fillUniform(new Float32Array(769), -1, 1);
    const y0 = rng.fillUniform(new Float32Array(64), -1, 1);
    const got = y0.slice();
    const want = y0.slice();
    wasm.gemv(m, 64, 769, x, got, 0.5, -2);
    js.gemv(m, 64, 769, x, want, 0.5, -2);
    for (let i = 0; i < 64; i++) expect(got[i]).toBeCloseTo(want[i] as number, 3);
  });
});
