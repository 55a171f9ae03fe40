import { MicroLoraError } from './errors.js';

/** Largest rank a stored micro-adapter may have (spec: rank 1–4). */
export const MICRO_RANK_MAX = 4;
/** Largest rank any LoraWeights may have (composed and BaseLoRA adapters stack ranks). */
export const RANK_LIMIT = 1024;
/** Largest feature dimension accepted anywhere (guards allocations from corrupt input). */
export const FEATURES_LIMIT = 1 << 16;

function show(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null || value === undefined) return String(value);
  return Object.prototype.toString.call(value);
}

/** `value` must be an integer in [min, max]. */
export function assertInteger(name: string, value: unknown, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new MicroLoraError('INVALID_ARGUMENT', `${name} must be an integer, got ${show(value)}`, {
      details: { name, value },
    });
  }
  if (value < min || value > max) {
    throw new MicroLoraError('OUT_OF_RANGE', `${name} must be in [${min}, ${max}], got ${value}`, {
      details: { name, value, min, max },
    });
  }
}

/** `value` must be a finite number, optionally within [min, max]. */
export function assertFiniteNumber(
  name: string,
  value: unknown,
  min = Number.NEGATIVE_INFINITY,
  max = Number.POSITIVE_INFINITY,
): asserts value is number {
  if (typeof value !== 'number') {
    throw new MicroLoraError('INVALID_ARGUMENT', `${name} must be a number, got ${show(value)}`, {
      details: { name, value },
    });
  }
  if (!Number.isFinite(value)) {
    throw new MicroLoraError('NON_FINITE', `${name} must be finite, got ${value}`, { details: { name, value } });
  }
  if (value < min || value > max) {
    throw new MicroLoraError('OUT_OF_RANGE', `${name} must be in [${min}, ${max}], got ${value}`, {
      details: { name, value, min, max },
    });
  }
}

/** A feature dimension: an integer in [1, FEATURES_LIMIT]. */
export function assertDimension(name: string, value: unknown): asserts value is number {
  assertInteger(name, value, 1, FEATURES_LIMIT);
}

/** A LoRA rank in [1, max]; RANK_OUT_OF_RANGE otherwise. */
export function assertRank(value: unknown, max: number = RANK_LIMIT, name = 'rank'): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new MicroLoraError('RANK_OUT_OF_RANGE', `${name} must be an integer in [1, ${max}], got ${show(value)}`, {
      details: { name, value, max },
    });
  }
}

/** `array.length` must equal `expected`; DIMENSION_MISMATCH otherwise. */
export function assertLength(name: string, array: ArrayLike<unknown>, expected: number): void {
  if (array.length !== expected) {
    throw new MicroLoraError(
      'DIMENSION_MISMATCH',
      `${name} has length ${array.length}, expected ${expected}`,
      { details: { name, actual: array.length, expected } },
    );
  }
}

/** `value` must be a Float32Array (not a plain array or another typed array). */
export function assertFloat32Array(name: string, value: unknown): asserts value is Float32Array {
  if (!(value instanceof Float32Array)) {
    throw new MicroLoraError('INVALID_ARGUMENT', `${name} must be a Float32Array, got ${show(value)}`, {
      details: { name },
    });
  }
}

/** Index of the first non-finite entry, or -1. */
export function findNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    // v - v is NaN exactly for NaN and ±Infinity; one compare per element.
    if (v - v !== 0) return i;
  }
  return -1;
}

/** Every entry must be finite; NON_FINITE naming the first bad index otherwise. */
export function assertAllFinite(name: string, values: ArrayLike<number>): void {
  const i = findNonFinite(values);
  if (i >= 0) {
    throw new MicroLoraError('NON_FINITE', `${name}[${i}] is ${values[i]}; every value must be finite`, {
      details: { name, index: i, value: values[i] },
    });
  }
}

/** A diffusion timestep in [0, 1]. */
export function assertTimestep(value: unknown, name = 'timestep'): asserts value is number {
  assertFiniteNumber(name, value, 0, 1);
}

/** A timestep range [start, end] with 0 ≤ start ≤ end ≤ 1. */
export function assertTimestepRange(value: unknown, name = 'timestepRange'): asserts value is readonly [number, number] {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new MicroLoraError('INVALID_ARGUMENT', `${name} must be a pair [start, end], got ${show(value)}`, {
      details: { name },
    });
  }
  assertTimestep(value[0], `${name}[0]`);
  assertTimestep(value[1], `${name}[1]`);
  if ((value[0] as number) > (value[1] as number)) {
    throw new MicroLoraError('OUT_OF_RANGE', `${name} start ${value[0]} is after its end ${value[1]}`, {
      details: { name, start: value[0], end: value[1] },
    });
  }
}
