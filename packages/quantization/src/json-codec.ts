import { FEATURES_LIMIT, MicroLoraError, RANK_LIMIT } from '@microlora/core';
import type { CompressedLora, QuantScheme, QuantizedTensor } from '@microlora/core';
import { decodeBase64, encodeBase64 } from './base64.js';
import { factorGroupSize, factorScaleCount, hasZeroPoints } from './group-layout.js';
import { isQuantScheme } from './limits.js';
import { assertValidCompressedLora } from './validate-compressed.js';

/** Value of the "format" field of every JSON encoding. */
export const JSON_FORMAT = 'microlora/compressed-lora';
/** The JSON layout version this build writes and reads. */
export const JSON_VERSION = 1;

const TOP_KEYS = [
  'format',
  'version',
  'scheme',
  'rank',
  'inFeatures',
  'outFeatures',
  'groupSize',
  'alpha',
  'layerMask',
  'a',
  'b',
] as const;
const TENSOR_KEYS = ['scales', 'zeroPoints', 'data'] as const;

interface JsonTensor {
  scales: number[];
  zeroPoints: number[] | null;
  /** Base64 of the int8 values as bytes (two's complement). */
  data: string;
}

function tensorToJson(t: QuantizedTensor): JsonTensor {
  return {
    scales: Array.from(t.scales),
    zeroPoints: t.zeroPoints === null ? null : Array.from(t.zeroPoints),
    data: encodeBase64(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.length)),
  };
}

/**
 * JSON text: scales and zero points as numbers, int8 data as base64, the
 * 64-bit layer mask as a hex string. Same field order every time.
 */
export function encodeJson(c: CompressedLora): string {
  assertValidCompressedLora(c);
  return JSON.stringify({
    format: JSON_FORMAT,
    version: JSON_VERSION,
    scheme: c.scheme,
    rank: c.rank,
    inFeatures: c.inFeatures,
    outFeatures: c.outFeatures,
    groupSize: c.scheme === 'grouped' ? c.a.groupSize : null,
    alpha: c.alpha,
    layerMask: `0x${c.layerMask.toString(16)}`,
    a: tensorToJson(c.a),
    b: tensorToJson(c.b),
  });
}

function corrupt(message: string): MicroLoraError {
  return new MicroLoraError('CORRUPT_DATA', `${message}; the JSON is damaged or not a MicroLoRA compressed adapter`, {
    details: { problem: message },
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function assertExactKeys(name: string, value: Record<string, unknown>, keys: readonly string[]): void {
  const present = Object.keys(value);
  for (const key of present) if (!keys.includes(key)) throw corrupt(`${name} has an unknown field "${key.slice(0, 40)}"`);
  for (const key of keys) if (!Object.hasOwn(value, key)) throw corrupt(`${name} lacks the field "${key}"`);
}

function integerField(obj: Record<string, unknown>, key: string, min: number, max: number): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw corrupt(`"${key}" must be an integer in [${min}, ${max}], got ${String(JSON.stringify(v)).slice(0, 40)}`);
  }
  return v;
}

function parseTensor(
  name: 'a' | 'b',
  value: unknown,
  scheme: QuantScheme,
  rank: number,
  cols: number,
  groupSize: number,
): QuantizedTensor {
  if (!isPlainObject(value)) throw corrupt(`"${name}" must be an object`);
  assertExactKeys(`"${name}"`, value, TENSOR_KEYS);
  const count = factorScaleCount(scheme, rank, cols, groupSize);
  const rawScales = value.scales;
  if (!Array.isArray(rawScales) || rawScales.length !== count) {
    throw corrupt(`"${name}.scales" must be an array of ${count} numbers`);
  }
  const scales = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const s: unknown = rawScales[i];
    if (typeof s !== 'number') throw corrupt(`"${name}.scales[${i}]" is not a number`);
    scales[i] = s;
  }
  let zeroPoints: Int16Array | null = null;
  const rawZero = value.zeroPoints;
  if (hasZeroPoints(scheme)) {
    if (!Array.isArray(rawZero) || rawZero.length !== count) {
      throw corrupt(`"${name}.zeroPoints" must be an array of ${count} integers for '${scheme}'`);
    }
    zeroPoints = new Int16Array(count);
    for (let i = 0; i < count; i++) {
      const z: unknown = rawZero[i];
      if (typeof z !== 'number' || !Number.isInteger(z) || z < -128 || z > 127) {
        throw corrupt(`"${name}.zeroPoints[${i}]" must be an integer in [-128, 127]`);
      }
      zeroPoints[i] = z;
    }
  } else if (rawZero !== null) {
    throw corrupt(`"${name}.zeroPoints" must be null for '${scheme}'`);
  }
  const rawData = value.data;
  const length = rank * cols;
  const bytes = typeof rawData === 'string' ? decodeBase64(rawData, length) : undefined;
  if (bytes === undefined) throw corrupt(`"${name}.data" must be canonical padded base64 of ${length} bytes`);
  return {
    data: new Int8Array(bytes.buffer, 0, length),
    scales,
    zeroPoints,
    groupSize: factorGroupSize(scheme, rank, cols, groupSize),
  };
}

function parseLayerMask(value: unknown): bigint {
  if (typeof value !== 'string' || !/^0x[0-9a-f]{1,16}$/.test(value)) {
    throw corrupt('"layerMask" must be a lowercase hex string "0x…" of at most 16 digits');
  }
  return BigInt(value);
}

/** Parses encodeJson output with the same validation as decodeBinary. */
export function decodeJson(text: string): CompressedLora {
  if (typeof text !== 'string') {
    throw new MicroLoraError('INVALID_ARGUMENT', 'decodeJson needs a string (the text encodeJson produced)');
  }
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (err) {
    throw new MicroLoraError('CORRUPT_DATA', `not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!isPlainObject(root)) throw corrupt('the top level must be an object');
  if (root.format !== JSON_FORMAT) throw corrupt(`"format" must be "${JSON_FORMAT}"`);
  const version = root.version;
  if (typeof version !== 'number' || !Number.isInteger(version)) throw corrupt('"version" must be an integer');
  if (version !== JSON_VERSION) {
    throw new MicroLoraError(
      'UNSUPPORTED_VERSION',
      `compressed adapter JSON version ${version}; this build reads version ${JSON_VERSION}, upgrade @microlora/quantization`,
      { details: { version, supported: JSON_VERSION } },
    );
  }
  assertExactKeys('the top level', root, TOP_KEYS);
  const scheme = root.scheme;
  if (!isQuantScheme(scheme)) throw corrupt('"scheme" must be one of per-tensor, per-row, asymmetric, grouped');
  const rank = integerField(root, 'rank', 1, RANK_LIMIT);
  const inFeatures = integerField(root, 'inFeatures', 1, FEATURES_LIMIT);
  const outFeatures = integerField(root, 'outFeatures', 1, FEATURES_LIMIT);
  let groupSize = 0;
  if (scheme === 'grouped') {
    groupSize = integerField(root, 'groupSize', 1, Math.min(inFeatures, outFeatures));
    if (inFeatures % groupSize !== 0 || outFeatures % groupSize !== 0) {
      throw corrupt(`"groupSize" ${groupSize} must divide inFeatures ${inFeatures} and outFeatures ${outFeatures}`);
    }
  } else if (root.groupSize !== null) {
    throw corrupt(`"groupSize" must be null for '${scheme}'`);
  }
  const alpha = root.alpha;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw corrupt('"alpha" must be a finite number');
  const layerMask = parseLayerMask(root.layerMask);
  const c: CompressedLora = {
    scheme,
    rank,
    inFeatures,
    outFeatures,
    alpha,
    layerMask,
    a: parseTensor('a', root.a, scheme, rank, inFeatures, groupSize),
    b: parseTensor('b', root.b, scheme, rank, outFeatures, groupSize),
  };
  // Scale ranges (and everything else) go through the one validator.
  assertValidCompressedLora(c, 'CORRUPT_DATA');
  return c;
}
