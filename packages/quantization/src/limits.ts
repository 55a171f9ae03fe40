import type { QuantScheme } from '@microlora/core';

/** Every scheme, in the order of their binary codes (the code is the index). */
export const QUANT_SCHEMES: readonly QuantScheme[] = ['per-tensor', 'per-row', 'asymmetric', 'grouped'];

/** Values per scale of the 'grouped' scheme when no groupSize is given. */
export const DEFAULT_GROUP_SIZE = 64;

/** Smallest scale ever written: the smallest normal float32 (2^-126), so a scale is never 0 or subnormal. */
export const SCALE_MIN = 2 ** -126;

/** Largest accepted scale: decoded values stay below 255·2^100, far from float32 overflow. */
export const SCALE_MAX = 2 ** 100;

/** Largest |value| compress accepts; keeps every scale within SCALE_MAX. */
export const VALUE_LIMIT = 2 ** 100;

/** Scale of an all-zero group: any positive value decodes its zeros exactly; 1 is the obvious one. */
export const ZERO_GROUP_SCALE = 1;

export function isQuantScheme(value: unknown): value is QuantScheme {
  return typeof value === 'string' && (QUANT_SCHEMES as readonly string[]).includes(value);
}
