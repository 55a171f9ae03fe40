import { MicroLoraError, decodeJson, loraFromFactors, type CompressedLora, type LoraWeights } from 'microlora';
import { z } from 'zod';

/**
 * Adapters in JSON. Two forms are accepted wherever an adapter is sent:
 * - the int8 codec of @microlora/quantization (`format: "microlora/compressed-lora"`,
 *   encodeJson / decodeJson), as an object or as its JSON text;
 * - raw f32 factors (`format: "microlora/lora-f32"`): the LoraWeights layout
 *   (a: rank × in, b: Bᵀ as rank × out, both row-major) as base64 of
 *   little-endian float32 values, alpha, and the layer mask as hex.
 * POST /adapter answers in the f32 form by default (exact), int8 on request.
 */
export const F32_LORA_FORMAT = 'microlora/lora-f32';
export const COMPRESSED_LORA_FORMAT = 'microlora/compressed-lora';
const F32_LORA_VERSION = 1;

export interface F32LoraJson {
  format: typeof F32_LORA_FORMAT;
  version: typeof F32_LORA_VERSION;
  rank: number;
  inFeatures: number;
  outFeatures: number;
  alpha: number;
  /** Lower-case hex, "0x…". */
  layerMask: string;
  /** Base64 of rank × inFeatures little-endian float32 values. */
  a: string;
  /** Base64 of rank × outFeatures little-endian float32 values (Bᵀ). */
  b: string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const f32LoraSchema = z.strictObject({
  format: z.literal(F32_LORA_FORMAT),
  version: z.literal(F32_LORA_VERSION),
  rank: z.int().min(1).max(1024),
  inFeatures: z.int().min(1).max(1 << 16),
  outFeatures: z.int().min(1).max(1 << 16),
  alpha: z.number(),
  layerMask: z.string().regex(/^0x[0-9a-f]{1,16}$/, 'must be a lower-case hex string "0x…" of at most 16 digits'),
  a: z.string().regex(BASE64, 'must be canonical padded base64'),
  b: z.string().regex(BASE64, 'must be canonical padded base64'),
});

/** Any accepted adapter form; decoded (and fully validated) by loraFromJson. */
export const loraJsonSchema = z.union([
  f32LoraSchema,
  z.looseObject({ format: z.literal(COMPRESSED_LORA_FORMAT) }),
  z.string().min(2).describe('the int8 codec JSON as text'),
]);
export type LoraJson = z.infer<typeof loraJsonSchema>;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function toBase64(values: Float32Array): string {
  const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  if (LITTLE_ENDIAN_HOST) return bytes.toString('base64');
  const swapped = Buffer.from(bytes);
  swapped.swap32();
  return swapped.toString('base64');
}

function fromBase64(name: string, text: string, count: number): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== count * 4) {
    throw new MicroLoraError('DIMENSION_MISMATCH', `${name} holds ${bytes.length} bytes, expected ${count} float32 values (${count * 4} bytes)`, {
      details: { name, bytes: bytes.length, expected: count * 4 },
    });
  }
  const out = new Float32Array(count);
  const view = new Uint8Array(out.buffer);
  view.set(bytes);
  if (!LITTLE_ENDIAN_HOST) Buffer.from(out.buffer).swap32();
  return out;
}

export function encodeF32LoraJson(lora: LoraWeights): F32LoraJson {
  return {
    format: F32_LORA_FORMAT,
    version: F32_LORA_VERSION,
    rank: lora.rank,
    inFeatures: lora.inFeatures,
    outFeatures: lora.outFeatures,
    alpha: lora.alpha,
    layerMask: `0x${lora.layerMask.toString(16)}`,
    a: toBase64(lora.a),
    b: toBase64(lora.b),
  };
}

/**
 * The adapter of a parsed `loraJsonSchema` value. Wrong lengths → DIMENSION_MISMATCH,
 * non-finite values → NON_FINITE, a damaged int8 codec object → CORRUPT_DATA.
 */
export function loraFromJson(value: LoraJson): CompressedLora | LoraWeights {
  if (typeof value === 'string') return decodeJson(value);
  if (value.format === COMPRESSED_LORA_FORMAT) return decodeJson(JSON.stringify(value));
  const f = value as z.infer<typeof f32LoraSchema>;
  return loraFromFactors({
    rank: f.rank,
    inFeatures: f.inFeatures,
    outFeatures: f.outFeatures,
    alpha: f.alpha,
    layerMask: BigInt(f.layerMask),
    a: fromBase64('lora.a', f.a, f.rank * f.inFeatures),
    b: fromBase64('lora.b', f.b, f.rank * f.outFeatures),
  });
}
