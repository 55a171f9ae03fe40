import { MicroLoraError, SeededRng, isMicroLoraError } from '@microlora/core';
import type { LoraWeights, MicroLoraErrorCode } from '@microlora/core';
import { SIMD_OP_NAMES } from './ops.js';
import type { SimdOpName, SimdOps } from './ops.js';

/**
 * One framework-agnostic conformance check. `run` throws a plain Error with a
 * precise message on failure. With vitest:
 * `for (const c of simdConformanceCases()) it(c.name, () => c.run(backend));`
 */
export interface ConformanceCase {
  /** "<op>: <what>", unique within the suite. */
  name: string;
  /** The SimdOps member under test ("backend" for whole-object checks). */
  op: string;
  run(backend: SimdOps): void | Promise<void>;
}

export interface SimdConformanceOptions {
  /**
   * Cases to leave out, each with the reason: a key is an op name (skips every
   * case of that op) or a full case name. A key matching nothing throws, so a
   * renamed case cannot silently un-skip or stay skipped.
   */
  skip?: Partial<Record<SimdOpName | string, string>>;
  /**
   * Accepted error of float results, |got − ref| ≤ relative·Σ|terms| + absolute,
   * where ref is a float64 reference and Σ|terms| the sum of magnitudes of what
   * was added. Defaults: relative 1e-5, absolute 1e-6 (float32 accumulation passes).
   */
  tolerance?: { relative?: number; absolute?: number };
}

interface Tolerance {
  relative: number;
  absolute: number;
}

/** Odd lengths exercise every unrolled-loop tail; 768/769 the typical hidden size. */
const LENGTHS = [0, 1, 2, 3, 4, 5, 7, 8, 16, 17, 33, 768, 769] as const;
const LORA_SHAPES = [
  [1, 1],
  [3, 7],
  [17, 33],
  [33, 17],
  [768, 768],
  [769, 3],
  [7, 769],
] as const;
// 5, 6, 7 cover every mix of the 4-, 2- and 1-rank expand steps; 33 grows any scratch past 32.
const LORA_RANKS = [1, 2, 3, 4, 5, 6, 7, 16, 33] as const;

// ───────────────────────────── helpers ─────────────────────────────

function fail(message: string): never {
  throw new Error(message);
}

function rngFor(caseName: string): SeededRng {
  return new SeededRng(`@microlora/simd conformance: ${caseName}`);
}

function randomF32(rng: SeededRng, n: number, lo = -1, hi = 1): Float32Array {
  return rng.fillUniform(new Float32Array(n), lo, hi);
}

function describeError(err: unknown): string {
  if (isMicroLoraError(err)) return `MicroLoraError ${(err as MicroLoraError).code}: ${(err as Error).message}`;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/** `fn` must throw a MicroLoraError with `code`. */
function expectError(what: string, code: MicroLoraErrorCode, fn: () => unknown): void {
  let thrown: unknown;
  let threw = false;
  try {
    fn();
  } catch (err) {
    threw = true;
    thrown = err;
  }
  if (!threw) fail(`${what}: expected MicroLoraError ${code}, but nothing was thrown`);
  if (!isMicroLoraError(thrown, code)) fail(`${what}: expected MicroLoraError ${code}, got ${describeError(thrown)}`);
}

/** `fn` must not throw. */
function expectNoError(what: string, fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    fail(`${what}: expected no error, got ${describeError(err)}`);
  }
}

function checkClose(what: string, got: number, ref: number, magnitude: number, tol: Tolerance): void {
  const bound = tol.relative * magnitude + tol.absolute;
  if (!(Math.abs(got - ref) <= bound)) {
    fail(`${what}: got ${got}, expected ${ref} (|error| ${Math.abs(got - ref)} > tolerance ${bound})`);
  }
}

function checkArrayClose(
  what: string,
  got: ArrayLike<number>,
  ref: ArrayLike<number>,
  magnitude: ArrayLike<number>,
  tol: Tolerance,
): void {
  if (got.length !== ref.length) fail(`${what}: length ${got.length}, expected ${ref.length}`);
  for (let i = 0; i < ref.length; i++) {
    checkClose(`${what} [${i}]`, got[i] as number, ref[i] as number, magnitude[i] as number, tol);
  }
}

/** Bit-for-bit equality (NaN equals NaN). */
function checkIdentical(what: string, got: ArrayLike<number>, expected: ArrayLike<number>): void {
  if (got.length !== expected.length) fail(`${what}: length ${got.length}, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(got[i], expected[i])) fail(`${what}: [${i}] is ${got[i]}, expected ${expected[i]} exactly`);
  }
}

/** A view of n values at an unaligned offset inside a larger buffer, to catch writes outside it. */
function paddedView(rng: SeededRng, n: number): { view: Float32Array; whole: Float32Array; before: Float32Array } {
  const pad = 3; // 12 bytes: not a multiple of 8 or 16
  const whole = randomF32(rng, n + 2 * pad);
  return { view: whole.subarray(pad, pad + n), whole, before: whole.slice() };
}

/** Everything outside the view is unchanged. */
function checkPadding(what: string, whole: Float32Array, before: Float32Array, view: Float32Array): void {
  const start = view.byteOffset / 4 - whole.byteOffset / 4;
  for (let i = 0; i < whole.length; i++) {
    if (i >= start && i < start + view.length) continue;
    if (!Object.is(whole[i], before[i])) fail(`${what}: wrote outside its view, at buffer index ${i}`);
  }
}

function makeLora(rng: SeededRng, rank: number, inFeatures: number, outFeatures: number, alpha = 2 * rank): LoraWeights {
  // Not through loraFromFactors: the suite also builds inconsistent adapters on purpose.
  return {
    rank,
    inFeatures,
    outFeatures,
    alpha,
    scaling: alpha / rank,
    a: randomF32(rng, rank * inFeatures),
    b: randomF32(rng, rank * outFeatures),
    layerMask: 0xffff_ffff_ffff_ffffn,
  };
}

// ───────────────────────────── references (float64) ─────────────────────────────

/** s·B(A x) of one adapter with its Σ|terms| per output, in float64. */
function loraReference(lora: LoraWeights, x: ArrayLike<number>, scale = 1): { delta: Float64Array; magnitude: Float64Array } {
  const { rank, inFeatures: n, outFeatures: m, a, b } = lora;
  const s = lora.scaling * scale;
  const delta = new Float64Array(m);
  const magnitude = new Float64Array(m);
  for (let r = 0; r < rank; r++) {
    let h = 0;
    let hAbs = 0;
    for (let i = 0; i < n; i++) {
      const term = (a[r * n + i] as number) * (x[i] as number);
      h += term;
      hAbs += Math.abs(term);
    }
    for (let o = 0; o < m; o++) {
      const bo = b[r * m + o] as number;
      delta[o] = (delta[o] as number) + s * bo * h;
      magnitude[o] = (magnitude[o] as number) + Math.abs(s * bo) * hAbs;
    }
  }
  return { delta, magnitude };
}

/**
 * The delta lora.scaling·B(A x) of one adapter, computed naively in float64
 * from the rank-major factors (a: rank × in, b: Bᵀ rank × out). For tests.
 */
export function referenceLoraApply(lora: LoraWeights, x: ArrayLike<number>): Float64Array {
  if (x.length !== lora.inFeatures) {
    throw new MicroLoraError('DIMENSION_MISMATCH', `referenceLoraApply: x has length ${x.length}, expected inFeatures = ${lora.inFeatures}`, {
      details: { actual: x.length, expected: lora.inFeatures },
    });
  }
  return loraReference(lora, x).delta;
}

/** y + delta with the magnitudes of both, for comparing an in-place add. */
function addedReference(y: ArrayLike<number>, delta: Float64Array, magnitude: Float64Array): { ref: Float64Array; mag: Float64Array } {
  const ref = new Float64Array(y.length);
  const mag = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) {
    ref[i] = (y[i] as number) + (delta[i] as number);
    mag[i] = Math.abs(y[i] as number) + (magnitude[i] as number);
  }
  return { ref, mag };
}

function softmaxReference(x: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) max = Math.max(max, x[i] as number);
  const out = new Float64Array(x.length);
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    out[i] = Math.exp((x[i] as number) - max);
    sum += out[i] as number;
  }
  for (let i = 0; i < x.length; i++) out[i] = (out[i] as number) / sum;
  return out;
}

function roundHalfAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

function quantizeReference(v: number, scale: number, zeroPoint: number): number {
  return Math.min(127, Math.max(-128, roundHalfAway(v / scale) + zeroPoint));
}

/** A backend may compute x/scale in float32, so values within float32 error of a .5 tie may round either way. */
function nearTie(v: number): boolean {
  const frac = Math.abs(v) - Math.floor(Math.abs(v));
  return Math.abs(frac - 0.5) <= 1e-6 + Math.abs(v) * 2.5e-7;
}

// ───────────────────────────── the cases ─────────────────────────────

type CaseBody = (backend: SimdOps, tol: Tolerance, rng: SeededRng) => void;

function buildCases(): { name: string; op: string; body: CaseBody }[] {
  const cases: { name: string; op: string; body: CaseBody }[] = [];
  const add = (op: SimdOpName | 'backend', what: string, body: CaseBody): void => {
    cases.push({ name: `${op}: ${what}`, op, body });
  };

  // ── backend ──
  add('backend', 'has a non-empty name and implements every op', (be) => {
    if (typeof be.name !== 'string' || be.name.length === 0) fail(`backend.name must be a non-empty string, got ${String(be.name)}`);
    for (const op of SIMD_OP_NAMES) {
      if (typeof be[op] !== 'function') fail(`backend "${be.name}" does not implement ${op}`);
    }
  });

  // ── dot ──
  add('dot', 'matches the float64 reference at lengths 0–769', (be, tol, rng) => {
    for (const n of LENGTHS) {
      const a = randomF32(rng, n);
      const b = randomF32(rng, n);
      let ref = 0;
      let mag = 0;
      for (let i = 0; i < n; i++) {
        ref += (a[i] as number) * (b[i] as number);
        mag += Math.abs((a[i] as number) * (b[i] as number));
      }
      checkClose(`dot length ${n}`, be.dot(a, b), ref, mag, tol);
    }
  });
  add('dot', 'of length 0 is 0', (be) => {
    const got = be.dot(new Float32Array(0), new Float32Array(0));
    if (got !== 0) fail(`dot of empty arrays: got ${got}, expected 0`);
  });
  add('dot', 'keeps accuracy under cancellation and large magnitudes', (be, tol, rng) => {
    const n = 769;
    const a = randomF32(rng, n, -1e4, 1e4);
    const b = new Float32Array(n);
    for (let i = 0; i < n; i++) b[i] = i % 2 === 0 ? 1 : -1;
    let ref = 0;
    let mag = 0;
    for (let i = 0; i < n; i++) {
      ref += (a[i] as number) * (b[i] as number);
      mag += Math.abs(a[i] as number);
    }
    checkClose('dot with alternating signs', be.dot(a, b), ref, mag, tol);
  });
  add('dot', 'reads subarray views at unaligned offsets and leaves inputs unchanged', (be, tol, rng) => {
    const n = 33;
    const pa = paddedView(rng, n);
    const pb = paddedView(rng, n);
    let ref = 0;
    let mag = 0;
    for (let i = 0; i < n; i++) {
      ref += (pa.view[i] as number) * (pb.view[i] as number);
      mag += Math.abs((pa.view[i] as number) * (pb.view[i] as number));
    }
    checkClose('dot of views', be.dot(pa.view, pb.view), ref, mag, tol);
    checkIdentical('dot input a', pa.whole, pa.before);
    checkIdentical('dot input b', pb.whole, pb.before);
  });
  add('dot', 'throws DIMENSION_MISMATCH on different lengths', (be) => {
    expectError('dot(7, 8)', 'DIMENSION_MISMATCH', () => be.dot(new Float32Array(7), new Float32Array(8)));
    expectError('dot(8, 7)', 'DIMENSION_MISMATCH', () => be.dot(new Float32Array(8), new Float32Array(7)));
    expectError('dot(0, 1)', 'DIMENSION_MISMATCH', () => be.dot(new Float32Array(0), new Float32Array(1)));
  });
  add('dot', 'propagates NaN (IEEE semantics)', (be, _tol, rng) => {
    const a = randomF32(rng, 17);
    const b = randomF32(rng, 17);
    a[16] = NaN;
    const got = be.dot(a, b);
    if (!Number.isNaN(got)) fail(`dot with a NaN entry: got ${got}, expected NaN`);
  });

  // ── axpy ──
  add('axpy', 'adds alpha·x into y at lengths 0–769', (be, tol, rng) => {
    for (const n of LENGTHS) {
      for (const alpha of [1, -0.75, 3]) {
        const x = randomF32(rng, n);
        const y = randomF32(rng, n);
        const ref = new Float64Array(n);
        const mag = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          ref[i] = (y[i] as number) + alpha * (x[i] as number);
          mag[i] = Math.abs(y[i] as number) + Math.abs(alpha * (x[i] as number));
        }
        const xBefore = x.slice();
        be.axpy(alpha, x, y);
        checkArrayClose(`axpy length ${n} alpha ${alpha}`, y, ref, mag, tol);
        checkIdentical(`axpy length ${n}: x`, x, xBefore);
      }
    }
  });
  add('axpy', 'writes only inside a subarray view', (be, tol, rng) => {
    const n = 17;
    const x = randomF32(rng, n);
    const p = paddedView(rng, n);
    const ref = new Float64Array(n);
    const mag = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      ref[i] = (p.view[i] as number) + 0.5 * (x[i] as number);
      mag[i] = Math.abs(p.view[i] as number) + Math.abs(0.5 * (x[i] as number));
    }
    be.axpy(0.5, x, p.view);
    checkArrayClose('axpy into a view', p.view, ref, mag, tol);
    checkPadding('axpy', p.whole, p.before, p.view);
  });
  add('axpy', 'throws DIMENSION_MISMATCH before writing', (be, _tol, rng) => {
    const y = randomF32(rng, 7);
    const before = y.slice();
    expectError('axpy(x 8, y 7)', 'DIMENSION_MISMATCH', () => be.axpy(1, new Float32Array(8), y));
    expectError('axpy(x 3, y 7)', 'DIMENSION_MISMATCH', () => be.axpy(1, new Float32Array(3), y));
    checkIdentical('y after the rejected axpy', y, before);
  });
  add('axpy', 'propagates NaN only where it is (IEEE semantics)', (be, _tol, rng) => {
    const x = randomF32(rng, 9);
    const y = randomF32(rng, 9);
    x[4] = NaN;
    be.axpy(2, x, y);
    for (let i = 0; i < 9; i++) {
      if (i === 4 ? !Number.isNaN(y[i]) : !Number.isFinite(y[i])) fail(`axpy with x[4] = NaN: y[${i}] is ${y[i]}`);
    }
  });

  // ── scale ──
  add('scale', 'writes alpha·x into out at lengths 0–769', (be, tol, rng) => {
    for (const n of LENGTHS) {
      for (const alpha of [0.5, -3, 0]) {
        const x = randomF32(rng, n);
        const out = randomF32(rng, n);
        const ref = Array.from(x, (v) => alpha * v);
        const xBefore = x.slice();
        be.scale(x, alpha, out);
        checkArrayClose(`scale length ${n} alpha ${alpha}`, out, ref, ref.map(Math.abs), tol);
        checkIdentical(`scale length ${n}: x`, x, xBefore);
      }
    }
  });
  add('scale', 'works in place (out === x)', (be, tol, rng) => {
    for (const n of [1, 7, 769]) {
      const x = randomF32(rng, n);
      const ref = Array.from(x, (v) => -1.25 * v);
      be.scale(x, -1.25, x);
      checkArrayClose(`scale in place length ${n}`, x, ref, ref.map(Math.abs), tol);
    }
  });
  add('scale', 'writes only inside a subarray view', (be, tol, rng) => {
    const x = randomF32(rng, 33);
    const p = paddedView(rng, 33);
    const ref = Array.from(x, (v) => 2 * v);
    be.scale(x, 2, p.view);
    checkArrayClose('scale into a view', p.view, ref, ref.map(Math.abs), tol);
    checkPadding('scale', p.whole, p.before, p.view);
  });
  add('scale', 'throws DIMENSION_MISMATCH before writing', (be, _tol, rng) => {
    const out = randomF32(rng, 7);
    const before = out.slice();
    expectError('scale(x 8, out 7)', 'DIMENSION_MISMATCH', () => be.scale(new Float32Array(8), 2, out));
    checkIdentical('out after the rejected scale', out, before);
  });

  // ── lerp ──
  const lerpReference = (a: Float32Array, b: Float32Array, t: number): { ref: number[]; mag: number[] } => {
    const ref: number[] = [];
    const mag: number[] = [];
    for (let i = 0; i < a.length; i++) {
      const ai = a[i] as number;
      const bi = b[i] as number;
      ref.push(ai + t * (bi - ai));
      mag.push(Math.abs(ai) + Math.abs(t) * (Math.abs(ai) + Math.abs(bi)));
    }
    return { ref, mag };
  };
  add('lerp', 'matches a + t·(b − a) for t in {0, 0.25, 1, −0.5, 1.5} at lengths 0–769', (be, tol, rng) => {
    for (const n of LENGTHS) {
      for (const t of [0, 0.25, 1, -0.5, 1.5]) {
        const a = randomF32(rng, n);
        const b = randomF32(rng, n);
        const out = randomF32(rng, n);
        const { ref, mag } = lerpReference(a, b, t);
        be.lerp(a, b, t, out);
        checkArrayClose(`lerp length ${n} t ${t}`, out, ref, mag, tol);
        if (t === 0) checkIdentical(`lerp length ${n} t 0 (must return a exactly)`, out, a);
      }
    }
  });
  add('lerp', 'works with out === a and with out === b', (be, tol, rng) => {
    for (const n of [1, 17, 769]) {
      const a = randomF32(rng, n);
      const b = randomF32(rng, n);
      const { ref, mag } = lerpReference(a, b, 0.3);
      const a1 = a.slice();
      be.lerp(a1, b, 0.3, a1);
      checkArrayClose(`lerp out === a, length ${n}`, a1, ref, mag, tol);
      const b1 = b.slice();
      be.lerp(a, b1, 0.3, b1);
      checkArrayClose(`lerp out === b, length ${n}`, b1, ref, mag, tol);
    }
  });
  add('lerp', 'writes only inside a subarray view', (be, tol, rng) => {
    const a = randomF32(rng, 17);
    const b = randomF32(rng, 17);
    const p = paddedView(rng, 17);
    const { ref, mag } = lerpReference(a, b, 0.6);
    be.lerp(a, b, 0.6, p.view);
    checkArrayClose('lerp into a view', p.view, ref, mag, tol);
    checkPadding('lerp', p.whole, p.before, p.view);
  });
  add('lerp', 'throws DIMENSION_MISMATCH before writing', (be, _tol, rng) => {
    const out = randomF32(rng, 7);
    const before = out.slice();
    expectError('lerp(a 7, b 8, out 7)', 'DIMENSION_MISMATCH', () => be.lerp(new Float32Array(7), new Float32Array(8), 0.5, out));
    expectError('lerp(a 8, b 8, out 7)', 'DIMENSION_MISMATCH', () => be.lerp(new Float32Array(8), new Float32Array(8), 0.5, out));
    expectError('lerp(a 7, b 7, out 8)', 'DIMENSION_MISMATCH', () =>
      be.lerp(new Float32Array(7), new Float32Array(7), 0.5, new Float32Array(8)),
    );
    checkIdentical('out after the rejected lerp', out, before);
  });

  // ── softmax ──
  const checkSoftmax = (what: string, got: Float32Array, x: ArrayLike<number>, tol: Tolerance): void => {
    const ref = softmaxReference(x);
    checkArrayClose(what, got, ref, ref, tol);
    let sum = 0;
    for (let i = 0; i < got.length; i++) sum += got[i] as number;
    if (got.length > 0 && !(Math.abs(sum - 1) <= 1e-5 + got.length * 1.2e-7)) fail(`${what}: outputs sum to ${sum}, expected 1`);
  };
  add('softmax', 'matches the float64 reference and sums to 1 at lengths 0–769', (be, tol, rng) => {
    for (const n of LENGTHS) {
      const x = randomF32(rng, n, -10, 10);
      const out = randomF32(rng, n);
      const xBefore = x.slice();
      be.softmax(x, out);
      checkSoftmax(`softmax length ${n}`, out, x, tol);
      checkIdentical(`softmax length ${n}: x`, x, xBefore);
    }
  });
  add('softmax', 'is stable for inputs near ±1e4', (be, tol, rng) => {
    for (const center of [1e4, -1e4]) {
      const x = randomF32(rng, 33, center - 5, center + 5);
      const out = new Float32Array(33);
      be.softmax(x, out);
      checkSoftmax(`softmax around ${center}`, out, x, tol);
    }
    const x = Float32Array.of(1e4, -1e4, 0, 1e4 - 1);
    const out = new Float32Array(4);
    be.softmax(x, out);
    checkSoftmax('softmax of [1e4, -1e4, 0, 1e4 - 1]', out, x, tol);
  });
  add('softmax', 'gives 1/n for all-equal inputs and [1] for one input', (be, tol) => {
    for (const [n, v] of [
      [1, 3.5],
      [7, 0],
      [769, -42],
      [33, 3e38],
    ] as const) {
      const x = new Float32Array(n).fill(v);
      const out = new Float32Array(n);
      be.softmax(x, out);
      checkArrayClose(`softmax of ${n} × ${v}`, out, new Array<number>(n).fill(1 / n), new Array<number>(n).fill(1 / n), tol);
    }
  });
  add('softmax', 'gives weight 0 to entries masked with -3.4e38', (be, tol) => {
    const x = Float32Array.of(1, -3.4e38, 2, -3.4e38, 0.5);
    const out = new Float32Array(5);
    be.softmax(x, out);
    if (out[1] !== 0 || out[3] !== 0) fail(`softmax masked entries: got ${out[1]}, ${out[3]}, expected 0`);
    checkSoftmax('softmax with masked entries', out, x, tol);
  });
  add('softmax', 'works in place (out === x)', (be, tol, rng) => {
    for (const n of [1, 7, 769]) {
      const x = randomF32(rng, n, -8, 8);
      const copy = x.slice();
      be.softmax(x, x);
      checkSoftmax(`softmax in place length ${n}`, x, copy, tol);
    }
  });
  add('softmax', 'writes only inside a subarray view', (be, tol, rng) => {
    const x = randomF32(rng, 17, -3, 3);
    const p = paddedView(rng, 17);
    be.softmax(x, p.view);
    checkSoftmax('softmax into a view', p.view, x, tol);
    checkPadding('softmax', p.whole, p.before, p.view);
  });
  add('softmax', 'rejects NaN, +Infinity and -Infinity with NON_FINITE before writing', (be, _tol, rng) => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      for (const at of [0, 16, 32]) {
        const x = randomF32(rng, 33);
        x[at] = bad;
        const before = x.slice();
        const out = randomF32(rng, 33);
        const outBefore = out.slice();
        expectError(`softmax with x[${at}] = ${bad}`, 'NON_FINITE', () => be.softmax(x, out));
        checkIdentical(`softmax with x[${at}] = ${bad}: out`, out, outBefore);
        expectError(`softmax in place with x[${at}] = ${bad}`, 'NON_FINITE', () => be.softmax(x, x));
        checkIdentical(`softmax in place with x[${at}] = ${bad}: x`, x, before);
      }
    }
  });
  add('softmax', 'throws DIMENSION_MISMATCH before writing', (be, _tol, rng) => {
    const out = randomF32(rng, 7);
    const before = out.slice();
    expectError('softmax(x 8, out 7)', 'DIMENSION_MISMATCH', () => be.softmax(new Float32Array(8), out));
    checkIdentical('out after the rejected softmax', out, before);
  });

  // ── maxAbs ──
  add('maxAbs', 'is the exact max |x| at lengths 0–769, wherever the max sits', (be, _tol, rng) => {
    for (const n of LENGTHS) {
      const x = randomF32(rng, n);
      for (const at of n === 0 ? [] : [0, n - 1, n >> 1]) {
        const y = x.slice();
        y[at] = at % 2 === 0 ? -7.5 : 7.5;
        const got = be.maxAbs(y);
        if (got !== 7.5) fail(`maxAbs length ${n} with ±7.5 at ${at}: got ${got}, expected 7.5`);
      }
      let ref = 0;
      for (let i = 0; i < n; i++) ref = Math.max(ref, Math.abs(x[i] as number));
      const got = be.maxAbs(x);
      if (got !== ref) fail(`maxAbs length ${n}: got ${got}, expected ${ref} exactly`);
    }
  });
  add('maxAbs', 'of an empty array is 0', (be) => {
    const got = be.maxAbs(new Float32Array(0));
    if (got !== 0) fail(`maxAbs of empty: got ${got}, expected 0`);
  });
  add('maxAbs', 'returns NaN if any entry is NaN and Infinity for ±Infinity', (be, _tol, rng) => {
    for (const at of [0, 5, 32]) {
      const x = randomF32(rng, 33);
      x[at] = NaN;
      const got = be.maxAbs(x);
      if (!Number.isNaN(got)) fail(`maxAbs with NaN at ${at}: got ${got}, expected NaN`);
      x[at] = -Infinity;
      const inf = be.maxAbs(x);
      if (inf !== Infinity) fail(`maxAbs with -Infinity at ${at}: got ${inf}, expected Infinity`);
    }
  });

  // ── gemv ──
  const gemvCheck = (
    be: SimdOps,
    tol: Tolerance,
    rng: SeededRng,
    rows: number,
    cols: number,
    alpha: number | undefined,
    beta: number | undefined,
  ): void => {
    const m = randomF32(rng, rows * cols);
    const x = randomF32(rng, cols);
    const y = randomF32(rng, rows);
    const al = alpha ?? 1;
    const bt = beta ?? 0;
    const ref = new Float64Array(rows);
    const mag = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      let sAbs = 0;
      for (let c = 0; c < cols; c++) {
        const term = (m[r * cols + c] as number) * (x[c] as number);
        s += term;
        sAbs += Math.abs(term);
      }
      ref[r] = al * s + (bt === 0 ? 0 : bt * (y[r] as number));
      mag[r] = Math.abs(al) * sAbs + Math.abs(bt * (y[r] as number));
    }
    const mBefore = m.slice();
    if (alpha === undefined) be.gemv(m, rows, cols, x, y);
    else if (beta === undefined) be.gemv(m, rows, cols, x, y, alpha);
    else be.gemv(m, rows, cols, x, y, alpha, beta);
    checkArrayClose(`gemv ${rows}×${cols} alpha ${String(alpha)} beta ${String(beta)}`, y, ref, mag, tol);
    checkIdentical(`gemv ${rows}×${cols}: m`, m, mBefore);
  };
  add('gemv', 'matches the float64 reference for odd shapes and alpha/beta', (be, tol, rng) => {
    for (const [rows, cols] of [
      [1, 1],
      [3, 7],
      [7, 3],
      [17, 33],
      [33, 17],
      [5, 769],
      [769, 2],
    ] as const) {
      for (const [alpha, beta] of [
        [1, 0],
        [0.5, 2],
        [-1, 1],
        [2, -0.5],
      ] as const) {
        gemvCheck(be, tol, rng, rows, cols, alpha, beta);
      }
    }
  });
  add('gemv', 'defaults to alpha = 1, beta = 0', (be, tol, rng) => {
    gemvCheck(be, tol, rng, 17, 33, undefined, undefined);
    gemvCheck(be, tol, rng, 17, 33, 3, undefined);
  });
  add('gemv', 'with beta = 0 ignores NaN already in y', (be, tol, rng) => {
    const m = randomF32(rng, 3 * 5);
    const x = randomF32(rng, 5);
    const y = new Float32Array(3).fill(NaN);
    be.gemv(m, 3, 5, x, y, 1, 0);
    for (let r = 0; r < 3; r++) {
      let ref = 0;
      let mag = 0;
      for (let c = 0; c < 5; c++) {
        ref += (m[r * 5 + c] as number) * (x[c] as number);
        mag += Math.abs((m[r * 5 + c] as number) * (x[c] as number));
      }
      checkClose(`gemv beta 0 over NaN, row ${r}`, y[r] as number, ref, mag, tol);
    }
  });
  add('gemv', 'handles rows = 0 and cols = 0', (be, tol, rng) => {
    expectNoError('gemv 0×5', () => be.gemv(new Float32Array(0), 0, 5, randomF32(rng, 5), new Float32Array(0)));
    const y = randomF32(rng, 4);
    const ref = Array.from(y, (v) => 2 * v);
    be.gemv(new Float32Array(0), 4, 0, new Float32Array(0), y, 1, 2);
    checkArrayClose('gemv 4×0 (y = beta·y)', y, ref, ref.map(Math.abs), tol);
  });
  add('gemv', 'reads and writes subarray views', (be, tol, rng) => {
    const rows = 7;
    const cols = 17;
    const pm = paddedView(rng, rows * cols);
    const px = paddedView(rng, cols);
    const py = paddedView(rng, rows);
    const ref = new Float64Array(rows);
    const mag = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const term = (pm.view[r * cols + c] as number) * (px.view[c] as number);
        ref[r] = (ref[r] as number) + term;
        mag[r] = (mag[r] as number) + Math.abs(term);
      }
      ref[r] = (ref[r] as number) + (py.view[r] as number);
      mag[r] = (mag[r] as number) + Math.abs(py.view[r] as number);
    }
    be.gemv(pm.view, rows, cols, px.view, py.view, 1, 1);
    checkArrayClose('gemv on views', py.view, ref, mag, tol);
    checkPadding('gemv', py.whole, py.before, py.view);
    checkIdentical('gemv: m', pm.whole, pm.before);
  });
  add('gemv', 'throws DIMENSION_MISMATCH before writing', (be, _tol, rng) => {
    const y = randomF32(rng, 3);
    const before = y.slice();
    expectError('gemv m of 14 for 3×5', 'DIMENSION_MISMATCH', () => be.gemv(new Float32Array(14), 3, 5, new Float32Array(5), y));
    expectError('gemv x of 4 for 3×5', 'DIMENSION_MISMATCH', () => be.gemv(new Float32Array(15), 3, 5, new Float32Array(4), y));
    expectError('gemv y of 3 for 5×3', 'DIMENSION_MISMATCH', () => be.gemv(new Float32Array(15), 5, 3, new Float32Array(3), y));
    checkIdentical('y after the rejected gemv', y, before);
  });
  add('gemv', 'rejects rows or cols that are not non-negative integers', (be) => {
    expectError('gemv rows 1.5', 'INVALID_ARGUMENT', () => be.gemv(new Float32Array(3), 1.5, 2, new Float32Array(2), new Float32Array(1)));
    expectError('gemv cols -2', 'OUT_OF_RANGE', () => be.gemv(new Float32Array(2), -1, -2, new Float32Array(0), new Float32Array(0)));
  });

  // ── loraApply ──
  add('loraApply', 'adds s·B(A x) into y for ranks 1–7, 16, 33 and in ≠ out shapes', (be, tol, rng) => {
    for (const [n, m] of LORA_SHAPES) {
      for (const rank of LORA_RANKS) {
        const lora = makeLora(rng, rank, n, m);
        const x = randomF32(rng, n);
        const y = randomF32(rng, m);
        const { delta, magnitude } = loraReference(lora, x);
        const { ref, mag } = addedReference(y, delta, magnitude);
        const xBefore = x.slice();
        const aBefore = lora.a.slice();
        const bBefore = lora.b.slice();
        be.loraApply(lora, x, y);
        checkArrayClose(`loraApply rank ${rank} ${n}→${m}`, y, ref, mag, tol);
        checkIdentical(`loraApply rank ${rank} ${n}→${m}: x`, x, xBefore);
        checkIdentical(`loraApply rank ${rank} ${n}→${m}: a`, lora.a, aBefore);
        checkIdentical(`loraApply rank ${rank} ${n}→${m}: b`, lora.b, bBefore);
      }
    }
  });
  add('loraApply', 'adds into y rather than overwriting it', (be, _tol, rng) => {
    const lora = makeLora(rng, 2, 17, 9);
    lora.b.fill(0);
    const x = randomF32(rng, 17);
    const y = randomF32(rng, 9);
    const before = y.slice();
    be.loraApply(lora, x, y);
    checkIdentical('loraApply of an adapter with B = 0 must leave y as it was', y, before);
  });
  add('loraApply', 'multiplies by the scale argument and by lora.scaling', (be, tol, rng) => {
    for (const scale of [0.5, -2, 0, 1]) {
      const lora = makeLora(rng, 4, 33, 17, 3); // scaling 0.75, not the default 2
      const x = randomF32(rng, 33);
      const y = randomF32(rng, 17);
      const { delta, magnitude } = loraReference(lora, x, scale);
      const { ref, mag } = addedReference(y, delta, magnitude);
      be.loraApply(lora, x, y, scale);
      checkArrayClose(`loraApply scale ${scale} (scaling 0.75)`, y, ref, mag, tol);
    }
    const lora = makeLora(rng, 2, 7, 5);
    const x = randomF32(rng, 7);
    const y1 = randomF32(rng, 5);
    const y2 = y1.slice();
    be.loraApply(lora, x, y1);
    be.loraApply(lora, x, y2, 1);
    checkIdentical('loraApply default scale vs scale 1', y1, y2);
  });
  add('loraApply', 'accumulates over calls and does not depend on earlier calls', (be, tol, rng) => {
    const big = makeLora(rng, 16, 33, 17);
    const small = makeLora(rng, 1, 33, 17);
    const x = randomF32(rng, 33);
    const y = new Float32Array(17);
    be.loraApply(big, x, y);
    be.loraApply(small, x, y);
    be.loraApply(small, x, y);
    const bigRef = loraReference(big, x);
    const smallRef = loraReference(small, x);
    const ref = Array.from(bigRef.delta, (v, i) => v + 2 * (smallRef.delta[i] as number));
    const mag = Array.from(bigRef.magnitude, (v, i) => v + 2 * (smallRef.magnitude[i] as number));
    checkArrayClose('loraApply rank 16 then rank 1 twice', y, ref, mag, tol);
  });
  add('loraApply', 'reads factors and vectors from subarray views (stacked buffers)', (be, tol, rng) => {
    const rank = 3;
    const n = 17;
    const m = 33;
    const pa = paddedView(rng, rank * n);
    const pb = paddedView(rng, rank * m);
    const px = paddedView(rng, n);
    const py = paddedView(rng, m);
    const lora: LoraWeights = { ...makeLora(rng, rank, n, m), a: pa.view, b: pb.view };
    const { delta, magnitude } = loraReference(lora, px.view);
    const { ref, mag } = addedReference(py.view, delta, magnitude);
    be.loraApply(lora, px.view, py.view);
    checkArrayClose('loraApply on views', py.view, ref, mag, tol);
    checkPadding('loraApply', py.whole, py.before, py.view);
    checkIdentical('loraApply: a buffer', pa.whole, pa.before);
    checkIdentical('loraApply: x buffer', px.whole, px.before);
  });
  add('loraApply', 'propagates NaN in x to every output (IEEE semantics)', (be, _tol, rng) => {
    const lora = makeLora(rng, 2, 17, 9);
    const x = randomF32(rng, 17);
    x[3] = NaN;
    const y = randomF32(rng, 9);
    be.loraApply(lora, x, y);
    for (let o = 0; o < 9; o++) if (!Number.isNaN(y[o])) fail(`loraApply with x[3] = NaN: y[${o}] is ${y[o]}, expected NaN`);
  });
  add('loraApply', 'throws DIMENSION_MISMATCH on x, y or factor lengths before writing', (be, _tol, rng) => {
    const lora = makeLora(rng, 2, 7, 5);
    const y = randomF32(rng, 5);
    const before = y.slice();
    expectError('loraApply x of 8 for in 7', 'DIMENSION_MISMATCH', () => be.loraApply(lora, new Float32Array(8), y));
    expectError('loraApply y of 6 for out 5', 'DIMENSION_MISMATCH', () => be.loraApply(lora, new Float32Array(7), new Float32Array(6)));
    const shortA: LoraWeights = { ...lora, a: lora.a.subarray(1) };
    expectError('loraApply a of rank·in − 1', 'DIMENSION_MISMATCH', () => be.loraApply(shortA, new Float32Array(7), y));
    const longB: LoraWeights = { ...lora, b: new Float32Array(11) };
    expectError('loraApply b of rank·out + 1', 'DIMENSION_MISMATCH', () => be.loraApply(longB, new Float32Array(7), y));
    checkIdentical('y after the rejected loraApply calls', y, before);
  });

  // ── loraApplyBatch ──
  const batchReference = (
    adapters: readonly LoraWeights[],
    index: Int32Array,
    x: Float32Array,
    y: Float32Array,
  ): { ref: Float64Array; mag: Float64Array } => {
    const first = adapters[0] as LoraWeights;
    const n = first.inFeatures;
    const m = first.outFeatures;
    const ref = Float64Array.from(y);
    const mag = Float64Array.from(y, Math.abs);
    for (let row = 0; row < index.length; row++) {
      const k = index[row] as number;
      if (k < 0) continue;
      const { delta, magnitude } = loraReference(adapters[k] as LoraWeights, x.subarray(row * n, (row + 1) * n));
      for (let o = 0; o < m; o++) {
        ref[row * m + o] = (ref[row * m + o] as number) + (delta[o] as number);
        mag[row * m + o] = (mag[row * m + o] as number) + (magnitude[o] as number);
      }
    }
    return { ref, mag };
  };
  add('loraApplyBatch', 'applies each row its own adapter and leaves rows with a negative index untouched', (be, tol, rng) => {
    const n = 33;
    const m = 17;
    const adapters = [makeLora(rng, 2, n, m), makeLora(rng, 1, n, m, 5), makeLora(rng, 4, n, m), makeLora(rng, 16, n, m)];
    const index = Int32Array.of(0, -1, 1, 2, 3, 0, -7, 2, 1, 3);
    const rows = index.length;
    const x = randomF32(rng, rows * n);
    const y = randomF32(rng, rows * m);
    const yBefore = y.slice();
    const xBefore = x.slice();
    const { ref, mag } = batchReference(adapters, index, x, y);
    be.loraApplyBatch(adapters, index, x, y, rows);
    checkArrayClose('loraApplyBatch mixed adapters', y, ref, mag, tol);
    for (const row of [1, 6]) {
      checkIdentical(`loraApplyBatch row ${row} (index ${index[row]})`, y.subarray(row * m, (row + 1) * m), yBefore.subarray(row * m, (row + 1) * m));
    }
    checkIdentical('loraApplyBatch: x', x, xBefore);
  });
  add('loraApplyBatch', 'matches loraApply row by row at 768→768', (be, tol, rng) => {
    const n = 768;
    const adapters = [makeLora(rng, 2, n, n), makeLora(rng, 4, n, n), makeLora(rng, 1, n, n)];
    const index = Int32Array.of(2, 0, 1, -1, 0, 1, 2, 0);
    const rows = index.length;
    const x = randomF32(rng, rows * n);
    const y = randomF32(rng, rows * n);
    const { ref, mag } = batchReference(adapters, index, x, y);
    be.loraApplyBatch(adapters, index, x, y, rows);
    checkArrayClose('loraApplyBatch 8 rows 768→768', y, ref, mag, tol);
  });
  add('loraApplyBatch', 'with rows = 0 or no adapters is a no-op', (be, _tol, rng) => {
    const lora = makeLora(rng, 2, 7, 5);
    expectNoError('loraApplyBatch rows 0', () => be.loraApplyBatch([lora], new Int32Array(0), new Float32Array(0), new Float32Array(0), 0));
    expectNoError('loraApplyBatch rows 0, no adapters', () =>
      be.loraApplyBatch([], new Int32Array(0), new Float32Array(0), new Float32Array(0), 0),
    );
    const y = randomF32(rng, 3 * 5);
    const before = y.slice();
    be.loraApplyBatch([], Int32Array.of(-1, -1, -1), randomF32(rng, 3 * 7), y, 3);
    checkIdentical('loraApplyBatch with no adapters and every index -1', y, before);
  });
  add('loraApplyBatch', 'reads and writes subarray views', (be, tol, rng) => {
    const n = 7;
    const m = 9;
    const adapters = [makeLora(rng, 2, n, m), makeLora(rng, 3, n, m)];
    const index = Int32Array.of(1, 0, -1);
    const px = paddedView(rng, 3 * n);
    const py = paddedView(rng, 3 * m);
    const { ref, mag } = batchReference(adapters, index, px.view, py.view);
    be.loraApplyBatch(adapters, index, px.view, py.view, 3);
    checkArrayClose('loraApplyBatch on views', py.view, ref, mag, tol);
    checkPadding('loraApplyBatch', py.whole, py.before, py.view);
  });
  add('loraApplyBatch', 'throws OUT_OF_RANGE for an index ≥ adapters.length before writing', (be, _tol, rng) => {
    const adapters = [makeLora(rng, 2, 7, 5), makeLora(rng, 1, 7, 5)];
    const y = randomF32(rng, 4 * 5);
    const before = y.slice();
    expectError('loraApplyBatch index 2 of 2 adapters in the last row', 'OUT_OF_RANGE', () =>
      be.loraApplyBatch(adapters, Int32Array.of(0, 1, 0, 2), randomF32(rng, 4 * 7), y, 4),
    );
    expectError('loraApplyBatch index 0 with no adapters', 'OUT_OF_RANGE', () =>
      be.loraApplyBatch([], Int32Array.of(-1, 0, -1, -1), randomF32(rng, 4 * 7), y, 4),
    );
    checkIdentical('y after the rejected loraApplyBatch calls', y, before);
  });
  add('loraApplyBatch', 'throws DIMENSION_MISMATCH for adapters of different in/out or wrong lengths, before writing', (be, _tol, rng) => {
    const a75 = makeLora(rng, 2, 7, 5);
    const y = randomF32(rng, 2 * 5);
    const before = y.slice();
    const x = randomF32(rng, 2 * 7);
    const idx = Int32Array.of(0, 1);
    expectError('loraApplyBatch adapters 7→5 and 7→6', 'DIMENSION_MISMATCH', () =>
      be.loraApplyBatch([a75, makeLora(rng, 2, 7, 6)], idx, x, y, 2),
    );
    expectError('loraApplyBatch adapters 7→5 and 8→5 (second unused)', 'DIMENSION_MISMATCH', () =>
      be.loraApplyBatch([a75, makeLora(rng, 1, 8, 5)], Int32Array.of(0, 0), x, y, 2),
    );
    expectError('loraApplyBatch adapter with a short factor', 'DIMENSION_MISMATCH', () =>
      be.loraApplyBatch([a75, { ...a75, b: a75.b.subarray(1) }], idx, x, y, 2),
    );
    expectError('loraApplyBatch x of rows·in + 1', 'DIMENSION_MISMATCH', () =>
      be.loraApplyBatch([a75], Int32Array.of(0, 0), randomF32(rng, 15), y, 2),
    );
    expectError('loraApplyBatch y of rows·out − 1', 'DIMENSION_MISMATCH', () =>
      be.loraApplyBatch([a75], Int32Array.of(0, 0), x, new Float32Array(9), 2),
    );
    expectError('loraApplyBatch adapterIndex of 3 for rows 2', 'DIMENSION_MISMATCH', () =>
      be.loraApplyBatch([a75], Int32Array.of(0, 0, 0), x, y, 2),
    );
    checkIdentical('y after the rejected loraApplyBatch calls', y, before);
  });

  // ── quantizeI8 ──
  add('quantizeI8', 'rounds half away from zero', (be) => {
    const x = Float32Array.of(0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999997, -0.49999997, 1.4999999, 0, -0, 126.5, -127.5);
    const expected = [1, -1, 2, -2, 3, -3, 0, 0, 1, 0, 0, 127, -128];
    const out = new Int8Array(x.length);
    be.quantizeI8(x, 1, out);
    checkIdentical('quantizeI8 scale 1', Array.from(out), expected);
    // Ties at scale 0.5: x/scale = 2.5 → 3, −2.5 → −3.
    const half = new Int8Array(2);
    be.quantizeI8(Float32Array.of(1.25, -1.25), 0.5, half);
    checkIdentical('quantizeI8 scale 0.5', Array.from(half), [3, -3]);
  });
  add('quantizeI8', 'clamps to [-128, 127] after adding the zero point', (be) => {
    const x = Float32Array.of(1e30, -1e30, 127.4, -128.4, 200, -200, 3.4e38, -3.4e38);
    const out = new Int8Array(x.length);
    be.quantizeI8(x, 1, out);
    checkIdentical('quantizeI8 clamp', Array.from(out), [127, -128, 127, -128, 127, -128, 127, -128]);
    const shifted = new Int8Array(4);
    be.quantizeI8(Float32Array.of(0, 100, -100, 0.5), 1, shifted, 50);
    checkIdentical('quantizeI8 zeroPoint 50', Array.from(shifted), [50, 127, -50, 51]);
    be.quantizeI8(Float32Array.of(0, 100, -100, -0.5), 1, shifted, -300);
    checkIdentical('quantizeI8 zeroPoint -300', Array.from(shifted), [-128, -128, -128, -128]);
    be.quantizeI8(Float32Array.of(-300, -400, 0, 1), 1, shifted, 300);
    checkIdentical('quantizeI8 zeroPoint 300', Array.from(shifted), [0, -100, 127, 127]);
  });
  add('quantizeI8', 'matches the reference on random data at lengths 0–769', (be, _tol, rng) => {
    for (const n of LENGTHS) {
      for (const [scale, zeroPoint] of [
        [1 / 127, 0],
        [0.013, -17],
        [0.004, 3],
      ] as const) {
        const x = randomF32(rng, n, -1.2, 1.2);
        const out = new Int8Array(n);
        be.quantizeI8(x, scale, out, zeroPoint);
        for (let i = 0; i < n; i++) {
          const v = (x[i] as number) / scale;
          const ref = quantizeReference(x[i] as number, scale, zeroPoint);
          const got = out[i] as number;
          if (got !== ref && !(nearTie(v) && Math.abs(got - ref) === 1)) {
            fail(`quantizeI8 length ${n} scale ${scale} zeroPoint ${zeroPoint}: [${i}] x = ${x[i]} gave ${got}, expected ${ref}`);
          }
        }
      }
    }
  });
  add('quantizeI8', 'writes only inside a subarray view', (be, _tol, rng) => {
    const whole = new Int8Array(23).fill(99);
    const view = whole.subarray(3, 20);
    be.quantizeI8(randomF32(rng, 17), 0.01, view);
    for (let i = 0; i < whole.length; i++) {
      if ((i < 3 || i >= 20) && whole[i] !== 99) fail(`quantizeI8 wrote outside its view, at buffer index ${i}`);
    }
  });
  add('quantizeI8', 'rejects NaN and ±Infinity input with NON_FINITE', (be, _tol, rng) => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      for (const at of [0, 6, 32]) {
        const x = randomF32(rng, 33);
        x[at] = bad;
        expectError(`quantizeI8 with x[${at}] = ${bad}`, 'NON_FINITE', () => be.quantizeI8(x, 0.01, new Int8Array(33)));
      }
    }
  });
  add('quantizeI8', 'rejects a bad scale or zero point', (be) => {
    const x = Float32Array.of(0.1, 0.2);
    const out = new Int8Array(2);
    expectError('quantizeI8 scale NaN', 'NON_FINITE', () => be.quantizeI8(x, NaN, out));
    expectError('quantizeI8 scale Infinity', 'NON_FINITE', () => be.quantizeI8(x, Infinity, out));
    expectError('quantizeI8 scale 0', 'OUT_OF_RANGE', () => be.quantizeI8(x, 0, out));
    expectError('quantizeI8 scale -1', 'OUT_OF_RANGE', () => be.quantizeI8(x, -1, out));
    expectError('quantizeI8 zeroPoint 0.5', 'INVALID_ARGUMENT', () => be.quantizeI8(x, 1, out, 0.5));
    expectError('quantizeI8 zeroPoint NaN', 'INVALID_ARGUMENT', () => be.quantizeI8(x, 1, out, NaN));
    expectError('quantizeI8 zeroPoint 40000', 'OUT_OF_RANGE', () => be.quantizeI8(x, 1, out, 40000));
    expectNoError('quantizeI8 zeroPoint -32768', () => be.quantizeI8(x, 1, out, -32768));
  });
  add('quantizeI8', 'throws DIMENSION_MISMATCH on different lengths', (be) => {
    expectError('quantizeI8(x 7, out 8)', 'DIMENSION_MISMATCH', () => be.quantizeI8(new Float32Array(7), 1, new Int8Array(8)));
  });

  // ── dequantizeI8 ──
  add('dequantizeI8', 'computes (q − zeroPoint)·scale for every int8 value', (be) => {
    const q = new Int8Array(256);
    for (let i = 0; i < 256; i++) q[i] = i - 128;
    for (const [scale, zeroPoint] of [
      [1, 0],
      [0.0123, 0],
      [3.7e-8, -5],
      [250, 127],
      [1 / 3, -300],
    ] as const) {
      const out = new Float32Array(256);
      be.dequantizeI8(q, scale, out, zeroPoint);
      for (let i = 0; i < 256; i++) {
        const ref = ((q[i] as number) - zeroPoint) * scale;
        // Scale may be rounded to float32 before the multiply: 2 float32 roundings.
        if (!(Math.abs((out[i] as number) - ref) <= 2.5e-7 * Math.abs(ref))) {
          fail(`dequantizeI8 scale ${scale} zeroPoint ${zeroPoint}: q = ${q[i]} gave ${out[i]}, expected ${ref}`);
        }
      }
    }
    const dflt = new Float32Array(3);
    be.dequantizeI8(Int8Array.of(-128, 0, 127), 0.5, dflt);
    checkIdentical('dequantizeI8 default zeroPoint 0', dflt, [-64, 0, 63.5]);
  });
  add('dequantizeI8', 'round-trips quantizeI8 within scale/2 at lengths 0–769', (be, _tol, rng) => {
    for (const n of LENGTHS) {
      const x = randomF32(rng, n, -2, 2);
      let max = 1e-3;
      for (let i = 0; i < n; i++) max = Math.max(max, Math.abs(x[i] as number));
      const scale = max / 127; // computed here, not with be.maxAbs: a failure must name the op at fault
      const q = new Int8Array(n);
      const back = new Float32Array(n);
      be.quantizeI8(x, scale, q);
      be.dequantizeI8(q, scale, back);
      for (let i = 0; i < n; i++) {
        const err = Math.abs((back[i] as number) - (x[i] as number));
        if (!(err <= scale * (0.5 + 1e-5))) fail(`round trip length ${n}: [${i}] ${x[i]} → ${q[i]} → ${back[i]}, error ${err} > scale/2`);
      }
    }
  });
  add('dequantizeI8', 'writes only inside a subarray view', (be, _tol, rng) => {
    const p = paddedView(rng, 17);
    be.dequantizeI8(new Int8Array(17).fill(3), 0.5, p.view);
    checkIdentical('dequantizeI8 into a view', p.view, new Array<number>(17).fill(1.5));
    checkPadding('dequantizeI8', p.whole, p.before, p.view);
  });
  add('dequantizeI8', 'rejects a bad scale or zero point and different lengths', (be) => {
    const q = Int8Array.of(1, 2);
    const out = new Float32Array(2);
    expectError('dequantizeI8 scale NaN', 'NON_FINITE', () => be.dequantizeI8(q, NaN, out));
    expectError('dequantizeI8 scale -Infinity', 'NON_FINITE', () => be.dequantizeI8(q, -Infinity, out));
    expectError('dequantizeI8 scale 0', 'OUT_OF_RANGE', () => be.dequantizeI8(q, 0, out));
    expectError('dequantizeI8 zeroPoint 1.5', 'INVALID_ARGUMENT', () => be.dequantizeI8(q, 1, out, 1.5));
    expectError('dequantizeI8 zeroPoint -40000', 'OUT_OF_RANGE', () => be.dequantizeI8(q, 1, out, -40000));
    expectError('dequantizeI8(q 2, out 3)', 'DIMENSION_MISMATCH', () => be.dequantizeI8(q, 1, new Float32Array(3)));
  });

  return cases;
}

/**
 * The conformance suite of the SimdOps contract: every op against a naive
 * float64 reference, odd lengths, length 0, subarray views, aliasing, error
 * codes, and the numeric edge cases each op defines. Deterministic (seeded per
 * case); runs in well under a second on the JS backend.
 */
export function simdConformanceCases(options: SimdConformanceOptions = {}): ConformanceCase[] {
  const tol: Tolerance = {
    relative: options.tolerance?.relative ?? 1e-5,
    absolute: options.tolerance?.absolute ?? 1e-6,
  };
  const all = buildCases();
  const skip = options.skip ?? {};
  for (const [key, reason] of Object.entries(skip)) {
    if (reason === undefined) continue;
    if (typeof reason !== 'string' || reason.trim().length === 0) {
      throw new MicroLoraError('INVALID_ARGUMENT', `skip "${key}" needs a reason (a non-empty string)`, { details: { key } });
    }
    if (!all.some((c) => c.op === key || c.name === key)) {
      throw new MicroLoraError('NOT_FOUND', `skip "${key}" matches no op or case name of the SIMD conformance suite`, {
        details: { key },
      });
    }
  }
  return all
    .filter((c) => skip[c.op] === undefined && skip[c.name] === undefined)
    .map(({ name, op, body }) => ({
      name,
      op,
      run: (backend: SimdOps) => body(backend, tol, rngFor(name)),
    }));
}
