import { HashingEmbedder, encodeBinary, encodeJson, type LoraWeights } from 'microlora';
import { describe, expect, it } from 'vitest';
import { F32_LORA_FORMAT, encodeF32LoraJson, loraFromJson, loraJsonSchema } from '../src/lora-json.js';
import { patternJsonSchema } from '../src/pattern-json.js';
import { adapterRequestSchema, feedbackRequestSchema } from '../src/service/request-schemas.js';
import { compressedLora, trainedLora } from './helpers.js';

describe('adapter JSON forms', () => {
  it('round-trip f32 factors bit-exactly, alpha and layer mask included', () => {
    const lora = { ...trainedLora(24, 3, 3), alpha: 7.5, layerMask: 0x8000_0000_0000_0001n };
    const json = encodeF32LoraJson(lora);
    expect(json).toMatchObject({ format: F32_LORA_FORMAT, version: 1, rank: 3, inFeatures: 24, outFeatures: 24, layerMask: '0x8000000000000001' });
    const parsed = loraJsonSchema.parse(JSON.parse(JSON.stringify(json)));
    const back = loraFromJson(parsed) as LoraWeights;
    expect(Array.from(back.a)).toEqual(Array.from(lora.a));
    expect(Array.from(back.b)).toEqual(Array.from(lora.b));
    expect([back.alpha, back.scaling, back.layerMask]).toEqual([7.5, 2.5, lora.layerMask]);
  });

  it('decode the int8 codec as an object or as text to the same adapter', () => {
    const c = compressedLora(16, 4);
    const text = encodeJson(c);
    const fromText = loraFromJson(loraJsonSchema.parse(text));
    const fromObject = loraFromJson(loraJsonSchema.parse(JSON.parse(text)));
    expect(encodeBinary(fromText as never)).toEqual(encodeBinary(c));
    expect(encodeBinary(fromObject as never)).toEqual(encodeBinary(c));
  });

  it('refuse non-canonical base64, wrong lengths and non-finite values', () => {
    const json = encodeF32LoraJson(trainedLora(8, 1));
    expect(loraJsonSchema.safeParse({ ...json, a: 'AAA' }).success).toBe(false);
    expect(loraJsonSchema.safeParse({ ...json, a: 'AA=A' }).success).toBe(false);
    expect(loraJsonSchema.safeParse({ ...json, layerMask: '0xFF' }).success).toBe(false);
    expect(loraJsonSchema.safeParse({ ...json, extra: true }).success).toBe(false);
    expect(() => loraFromJson({ ...json, b: Buffer.alloc(12).toString('base64') })).toThrow(expect.objectContaining({ code: 'DIMENSION_MISMATCH' }));
    const nan = new Float32Array(16);
    nan[3] = Number.NaN;
    expect(() => loraFromJson({ ...json, a: Buffer.from(nan.buffer).toString('base64') })).toThrow(expect.objectContaining({ code: 'NON_FINITE' }));
  });
});

describe('request schemas', () => {
  const embedder = new HashingEmbedder({ dimension: 32 });
  const pattern = patternJsonSchema(32);
  const lora = JSON.parse(encodeJson(compressedLora(16, 1))) as unknown;

  it('take exactly one of query and embedding in a pattern', () => {
    expect(pattern.safeParse({ query: 'a b', lora }).success).toBe(true);
    expect(pattern.safeParse({ embedding: Array.from(embedder.embed('a b')), lora }).success).toBe(true);
    expect(pattern.safeParse({ lora }).success).toBe(false);
    expect(pattern.safeParse({ query: 'a', embedding: Array.from(embedder.embed('a')), lora }).success).toBe(false);
    expect(pattern.safeParse({ embedding: [1, 2], lora }).success).toBe(false);
  });

  it('refuse NaN-ish strings, nulls and infinities where numbers belong', () => {
    const adapter = adapterRequestSchema(4, 3);
    expect(adapter.safeParse({ query: 'x', t: 0.5, hidden: [1, 2, 3] }).success).toBe(true);
    for (const hidden of [['1', 2, 3], [null, 2, 3], [Number.NaN, 2, 3], [Number.POSITIVE_INFINITY, 2, 3], [1, 2, 3, 4]]) {
      expect(adapter.safeParse({ query: 'x', t: 0.5, hidden }).success, JSON.stringify(hidden)).toBe(false);
    }
    expect(adapter.safeParse({ query: 'x', t: Number.NaN }).success).toBe(false);
    expect(adapter.safeParse({ query: [1, 2, 3, 4], t: 0 }).success).toBe(true);
    expect(adapter.safeParse({ query: [1, 2, 3, '4'], t: 0 }).success).toBe(false);
  });

  it('take exactly one of requestId and patternIds in feedback, quality in [0, 1]', () => {
    expect(feedbackRequestSchema.safeParse({ requestId: 'r', quality: 0 }).success).toBe(true);
    expect(feedbackRequestSchema.safeParse({ patternIds: ['a'], quality: 1 }).success).toBe(true);
    expect(feedbackRequestSchema.safeParse({ quality: 1 }).success).toBe(false);
    expect(feedbackRequestSchema.safeParse({ requestId: 'r', patternIds: ['a'], quality: 1 }).success).toBe(false);
    expect(feedbackRequestSchema.safeParse({ requestId: 'r', quality: -0.01 }).success).toBe(false);
    expect(feedbackRequestSchema.safeParse({ patternIds: Array(257).fill('a'), quality: 1 }).success).toBe(false);
  });
});
