import { describe, expect, it } from 'vitest';
import { isMicroLoraError } from '@microlora/core';
import { createCallbackEmbedder } from '@microlora/embed';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return isMicroLoraError(err) ? err.code : `untyped: ${String(err)}`;
  }
  return undefined;
};

describe('createCallbackEmbedder', () => {
  const lengthModel = (text: string): number[] => [text.length, 1, 0];

  it('wraps a synchronous model and copies its output', () => {
    const shared = new Float32Array([1, 2, 3]);
    const e = createCallbackEmbedder({ dimension: 3, embed: () => shared });
    const v = e.embed('a');
    expect(v).toEqual(shared);
    expect(v).not.toBe(shared);
    const out = new Float32Array(3);
    expect(e.embedInto('a', out)).toBe(out);
    expect(Array.from(createCallbackEmbedder({ dimension: 3, embed: lengthModel }).embed('abcd'))).toEqual([4, 1, 0]);
  });

  it('normalises on request', () => {
    const e = createCallbackEmbedder({ dimension: 2, embed: () => [3, 4], normalize: true });
    expect(Array.from(e.embed('x'))).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect(
      Array.from(createCallbackEmbedder({ dimension: 2, embed: () => [0, 0], normalize: true }).embed('x')),
    ).toEqual([0, 0]);
  });

  it('uses embedBatch when given, per-text embed otherwise', () => {
    let batchCalls = 0;
    const e = createCallbackEmbedder({
      dimension: 3,
      embed: lengthModel,
      embedBatch: (texts) => {
        batchCalls++;
        return texts.map(lengthModel);
      },
    });
    expect(e.embedBatch(['a', 'bb']).map((v) => v[0])).toEqual([1, 2]);
    expect(batchCalls).toBe(1);
    expect(
      createCallbackEmbedder({ dimension: 3, embed: lengthModel })
        .embedBatch(['abc'])
        .map((v) => v[0]),
    ).toEqual([3]);
  });

  it('validates the model output and the inputs', () => {
    expect(code(() => createCallbackEmbedder({ dimension: 4, embed: lengthModel }).embed('x'))).toBe(
      'DIMENSION_MISMATCH',
    );
    expect(code(() => createCallbackEmbedder({ dimension: 2, embed: () => [1, Number.NaN] }).embed('x'))).toBe(
      'NON_FINITE',
    );
    expect(
      code(() => createCallbackEmbedder({ dimension: 2, embed: () => [1, '2'] as unknown as number[] }).embed('x')),
    ).toBe('INVALID_ARGUMENT');
    expect(
      code(() => createCallbackEmbedder({ dimension: 2, embed: () => 'no' as unknown as number[] }).embed('x')),
    ).toBe('INVALID_ARGUMENT');
    expect(
      code(() =>
        createCallbackEmbedder({ dimension: 3, embed: lengthModel, embedBatch: () => [[1, 2, 3]] }).embedBatch([
          'a',
          'b',
        ]),
      ),
    ).toBe('DIMENSION_MISMATCH');
    expect(code(() => createCallbackEmbedder({ dimension: 0, embed: lengthModel }))).toBe('OUT_OF_RANGE');
    expect(code(() => createCallbackEmbedder({ dimension: 3, embed: 5 as unknown as () => number[] }))).toBe(
      'INVALID_ARGUMENT',
    );
    const e = createCallbackEmbedder({ dimension: 3, embed: lengthModel });
    expect(code(() => e.embed(undefined as unknown as string))).toBe('INVALID_ARGUMENT');
    expect(code(() => e.embedInto('x', new Float32Array(2)))).toBe('DIMENSION_MISMATCH');
  });
});
