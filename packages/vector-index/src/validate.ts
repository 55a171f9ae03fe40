import { FEATURES_LIMIT, MicroLoraError, assertDimension } from '@microlora/core';
import type { Metric, VectorIndexOptions } from './contract.js';

/** Every metric, declared once. */
export const METRICS = ['cosine', 'inner-product', 'l2'] as const satisfies readonly Metric[];

/** Slots allocated when `capacity` is not given. */
export const DEFAULT_CAPACITY = 1024;

/** Options with defaults applied and every field checked. */
export interface ResolvedIndexOptions {
  dimension: number;
  metric: Metric;
  capacity: number;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return Object.prototype.toString.call(value);
}

/** `metric` must be one of METRICS; INVALID_ARGUMENT otherwise. */
export function assertMetric(metric: unknown): asserts metric is Metric {
  if (!(METRICS as readonly unknown[]).includes(metric)) {
    throw new MicroLoraError(
      'INVALID_ARGUMENT',
      `metric must be one of ${METRICS.map((m) => `'${m}'`).join(', ')}, got ${describe(metric)}`,
      { details: { metric } },
    );
  }
}

/** Validates the common index options and applies defaults (metric 'cosine', capacity 1024). */
export function resolveIndexOptions(options: VectorIndexOptions): ResolvedIndexOptions {
  if (typeof options !== 'object' || options === null) {
    throw new MicroLoraError('INVALID_ARGUMENT', `index options must be an object, got ${describe(options)}`);
  }
  assertDimension('dimension', options.dimension);
  const metric = options.metric ?? 'cosine';
  assertMetric(metric);
  const capacity = options.capacity ?? DEFAULT_CAPACITY;
  if (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 1 || capacity > 0x7fff_ffff) {
    throw new MicroLoraError('INVALID_ARGUMENT', `capacity must be a positive integer, got ${describe(capacity)}`, {
      details: { capacity },
    });
  }
  return { dimension: options.dimension, metric, capacity };
}

/** `id` must be a string; INVALID_ARGUMENT otherwise. */
export function assertId(id: unknown, name = 'id'): asserts id is string {
  if (typeof id !== 'string') {
    throw new MicroLoraError('INVALID_ARGUMENT', `${name} must be a string, got ${describe(id)}`, { details: { id } });
  }
}

/** `k` must be a positive integer; INVALID_ARGUMENT otherwise (k above size is fine). */
export function assertK(k: unknown): asserts k is number {
  if (typeof k !== 'number' || !Number.isSafeInteger(k) || k < 1) {
    throw new MicroLoraError('INVALID_ARGUMENT', `k must be a positive integer, got ${describe(k)}`, {
      details: { k },
    });
  }
}

/**
 * Checks a vector for an index and returns its Euclidean norm (float64, one pass):
 * Float32Array of length `dimension`, every entry finite, and not all zero under cosine.
 * Float32 squares cannot overflow a float64 sum, so the norm is always finite.
 */
export function checkVector(name: string, vector: unknown, dimension: number, metric: Metric): number {
  if (!(vector instanceof Float32Array)) {
    throw new MicroLoraError('INVALID_ARGUMENT', `${name} must be a Float32Array, got ${describe(vector)}`, {
      details: { name },
    });
  }
  if (vector.length !== dimension) {
    throw new MicroLoraError(
      'DIMENSION_MISMATCH',
      `${name} has length ${vector.length}, but the index dimension is ${dimension}`,
      { details: { name, actual: vector.length, expected: dimension } },
    );
  }
  let sumSq = 0;
  for (let i = 0; i < dimension; i++) {
    const v = vector[i] as number;
    if (v - v !== 0) {
      throw new MicroLoraError('NON_FINITE', `${name}[${i}] is ${v}; every value must be finite`, {
        details: { name, index: i, value: v },
      });
    }
    sumSq += v * v;
  }
  if (sumSq === 0 && metric === 'cosine') {
    throw new MicroLoraError(
      'INVALID_ARGUMENT',
      `${name} is the zero vector, which has no direction under the cosine metric; pass a non-zero vector or use metric 'l2'`,
      { details: { name } },
    );
  }
  return Math.sqrt(sumSq);
}

/** Largest dimension an index accepts (re-exported so adapters check loaded files alike). */
export const MAX_DIMENSION = FEATURES_LIMIT;
