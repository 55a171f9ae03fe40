import { describe, expect, it } from 'vitest';
import { SeededRng, isMicroLoraError, loraFromFactors, materializeDelta } from '@microlora/core';
import { SIMD_OP_NAMES, createJsBackend } from '@microlora/simd';
import type { SimdOps } from '@microlora/simd';
import { referenceLoraApply, simdConformanceCases } from '@microlora/simd/conformance';

function failures(backend: SimdOps, options?: Parameters<typeof simdConformanceCases>[0]): string[] {
  const failed: string[] = [];
  for (const c of simdConformanceCases(options)) {
    try {
      void c.run(backend);
    } catch {
      failed.push(c.name);
    }
  }
  return failed;
}

describe('simdConformanceCases', () => {
  it('names every case "<op>: <what>", uniquely, and covers every op', () => {
    const cases = simdConformanceCases();
    const names = cases.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of cases) expect(c.name.startsWith(`${c.op}: `)).toBe(true);
    for (const op of SIMD_OP_NAMES) expect(cases.some((c) => c.op === op)).toBe(true);
  });

  it('skips every case of an op or one case by name, and rejects unknown keys or empty reasons', () => {
    const all = simdConformanceCases();
    const noSoftmax = simdConformanceCases({ skip: { softmax: 'not needed by this backend' } });
    expect(noSoftmax.some((c) => c.op === 'softmax')).toBe(false);
    expect(noSoftmax.length).toBe(all.length - all.filter((c) => c.op === 'softmax').length);
    const one = all[3]!.name;
    expect(simdConformanceCases({ skip: { [one]: 'known issue #12' } }).map((c) => c.name)).not.toContain(one);
    let err: unknown;
    try {
      simdConformanceCases({ skip: { 'dot: no such case': 'typo' } });
    } catch (e) {
      err = e;
    }
    expect(isMicroLoraError(err, 'NOT_FOUND')).toBe(true);
    expect(() => simdConformanceCases({ skip: { dot: '  ' } })).toThrow(/needs a reason/);
  });

  it('fails a backend that is slightly wrong, unless the tolerance is loosened on purpose', () => {
    const js = createJsBackend();
    const off: SimdOps = { ...js, dot: (a, b) => js.dot(a, b) * (1 + 1e-4) };
    expect(failures(js)).toEqual([]);
    expect(failures(off)).toContain('dot: matches the float64 reference at lengths 0–769');
    expect(failures(off, { tolerance: { relative: 1e-3 } })).toEqual([]);
  });

  it('is deterministic: the same cases see the same data on every run', () => {
    // A backend that records what dot receives: two runs must record identical inputs.
    const seen: number[][] = [];
    const js = createJsBackend();
    const spy: SimdOps = { ...js, dot: (a, b) => (seen.push([...a.slice(0, 3), ...b.slice(0, 3)]), js.dot(a, b)) };
    const dotCase = simdConformanceCases().find((c) => c.name.startsWith('dot: matches'))!;
    void dotCase.run(spy);
    const first = seen.splice(0);
    void dotCase.run(spy);
    expect(seen).toEqual(first);
  });
});

describe('referenceLoraApply', () => {
  it('equals ΔW·x with ΔW materialised independently by @microlora/core', () => {
    const rng = new SeededRng('reference');
    const [rank, n, m] = [3, 11, 5];
    const lora = loraFromFactors({
      rank,
      inFeatures: n,
      outFeatures: m,
      alpha: 1.5,
      a: rng.fillUniform(new Float32Array(rank * n), -1, 1),
      b: rng.fillUniform(new Float32Array(rank * m), -1, 1),
    });
    const x = rng.fillUniform(new Float32Array(n), -1, 1);
    const delta = materializeDelta(lora);
    const got = referenceLoraApply(lora, x);
    for (let o = 0; o < m; o++) {
      let want = 0;
      for (let i = 0; i < n; i++) want += delta[o * n + i]! * x[i]!;
      expect(got[o]).toBeCloseTo(want, 12);
    }
    expect(() => referenceLoraApply(lora, new Float32Array(n + 1))).toThrow(/inFeatures/);
  });
});
