import { describe, expect, it } from 'vitest';
import { ALPHABET, MASK, PAD, UNK, VOCAB_SIZE, decodeWeights, detokenize, encodeWeights, initWeights, parameterCount, tokenize, weightShapes } from '@microlora/model-tfjs';
import { TINY, randomWeights, errorCode } from './helpers.js';

describe('character vocabulary', () => {
  it('round-trips text in the alphabet, lower-cases, marks unknowns, pads and cuts', () => {
    const text = "dog: a domesticated carnivore (canis familiaris); 3-4 kg.";
    expect(detokenize(tokenize(text))).toBe(text);
    expect(detokenize(tokenize('DOG'))).toBe('dog');
    expect(detokenize(tokenize('naïve'))).toBe('na?ve');
    expect(tokenize('naïve')[2]).toBe(UNK);
    expect([...tokenize('ab', 4)].slice(2)).toEqual([PAD, PAD]);
    expect(tokenize('abcdef', 3).length).toBe(3);
    expect(detokenize(Int32Array.of(tokenize('a')[0] as number, MASK, PAD, 5))).toBe('a_');
    expect(VOCAB_SIZE).toBe(3 + ALPHABET.length);
  });
});

describe('model weights file', () => {
  it('round-trips float32 weights exactly with quantize: false', () => {
    const w = randomWeights(TINY, 2);
    const back = decodeWeights(encodeWeights(w, { quantize: false }));
    expect(back.config).toEqual(TINY);
    for (const [name, t] of w.tensors) expect(back.tensors.get(name)?.data).toEqual(t.data);
  });

  it('int8: matrices within half a step of their per-column scale, vectors exact, ~4× smaller', () => {
    const w = initWeights({ ...TINY, dim: 32 }, 3);
    const f32 = encodeWeights(w, { quantize: false });
    const i8 = encodeWeights(w);
    expect(i8.length).toBeLessThan(f32.length / 3);
    const back = decodeWeights(i8);
    for (const [name, shape] of weightShapes(w.config)) {
      const a = w.tensors.get(name)!.data;
      const b = back.tensors.get(name)!.data;
      if (shape.length === 1) {
        expect(b).toEqual(a);
        continue;
      }
      const cols = shape[1] as number;
      for (let c = 0; c < cols; c++) {
        let max = 0;
        for (let i = c; i < a.length; i += cols) max = Math.max(max, Math.abs(a[i]!));
        for (let i = c; i < a.length; i += cols) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual((max / 127) * 0.5 + 1e-7);
      }
    }
    expect(parameterCount(w.config)).toBe([...w.tensors.values()].reduce((n, t) => n + t.data.length, 0));
  });

  it('rejects damaged files with CORRUPT_DATA and foreign versions with UNSUPPORTED_VERSION', () => {
    const bytes = encodeWeights(randomWeights(TINY, 4));
    const code = (b: Uint8Array) => errorCode(() => decodeWeights(b));
    for (const at of [10, 100, bytes.length - 20, bytes.length - 1]) {
      const bad = bytes.slice();
      bad[at]! ^= 0x40;
      expect(code(bad)).toBe('CORRUPT_DATA');
    }
    expect(code(bytes.subarray(0, bytes.length - 9))).toBe('CORRUPT_DATA');
    const v2 = bytes.slice();
    v2[4] = 2;
    expect(['UNSUPPORTED_VERSION', 'CORRUPT_DATA']).toContain(code(v2));
  });

  it('refuses to write a non-finite weight', () => {
    const w = randomWeights(TINY, 5);
    w.tensors.get('head_w')!.data[3] = Number.NaN;
    expect(() => encodeWeights(w)).toThrow(expect.objectContaining({ code: 'NON_FINITE' }));
  });
});
