import { MicroLoraError } from '@microlora/core';
import type { IndexItem, Metric, SearchOptions } from '../contract.js';
import { assertId, assertK, checkVector } from '../validate.js';

/** What the argument checks need to know about the index they guard (every VectorIndex qualifies). */
export interface IndexUnderCheck {
  readonly dimension: number;
  readonly metric: Metric;
  has(id: string): boolean;
}

/** addBatch() items that passed every check, with each vector's Euclidean norm. */
export interface CheckedBatch {
  items: IndexItem[];
  norms: Float64Array;
}

/** search() arguments that passed every check: the query's Euclidean norm and the filter, if any. */
export interface CheckedSearch {
  norm: number;
  filter: ((id: string) => boolean) | undefined;
}

/** DUPLICATE_ID for an id the index already holds. */
export function duplicateIdError(id: string): MicroLoraError {
  return new MicroLoraError(
    'DUPLICATE_ID',
    `id ${JSON.stringify(id)} is already in the index; remove() it first to replace its vector`,
    { details: { id } },
  );
}

/** NOT_FOUND for an id the index does not hold (remove() of an unknown id). */
export function unknownIdError(id: string): MicroLoraError {
  return new MicroLoraError('NOT_FOUND', `id ${JSON.stringify(id)} is not in the index; check has(id) first`, {
    details: { id },
  });
}

/** add()'s checks, in the contract's order: id, vector, then DUPLICATE_ID. Returns the vector's norm. */
export function checkNewEntry(index: IndexUnderCheck, id: unknown, vector: unknown): number {
  assertId(id);
  const norm = checkVector('vector', vector, index.dimension, index.metric);
  if (index.has(id)) throw duplicateIdError(id);
  return norm;
}

/**
 * addBatch()'s checks on every item before any is added (all-or-nothing): ids are strings,
 * vectors fit, and no id is in the index already or twice in the batch.
 */
export function checkNewBatch(index: IndexUnderCheck, items: Iterable<IndexItem>): CheckedBatch {
  const list = Array.from(items);
  const norms = new Float64Array(list.length);
  const batchIds = new Set<string>();
  for (let i = 0; i < list.length; i++) {
    const item = list[i] as IndexItem;
    assertId(item?.id, `items[${i}].id`);
    norms[i] = checkVector(`items[${i}].vector`, item.vector, index.dimension, index.metric);
    if (index.has(item.id) || batchIds.has(item.id)) throw duplicateIdError(item.id);
    batchIds.add(item.id);
  }
  return { items: list, norms };
}

/** search()'s checks: the query, then k, then that options.filter (if given) is a function. */
export function checkSearch(
  index: Pick<IndexUnderCheck, 'dimension' | 'metric'>,
  query: unknown,
  k: unknown,
  options: SearchOptions | undefined,
): CheckedSearch {
  const norm = checkVector('query', query, index.dimension, index.metric);
  assertK(k);
  const filter = options?.filter;
  if (filter !== undefined && typeof filter !== 'function') {
    throw new MicroLoraError('INVALID_ARGUMENT', 'options.filter must be a function (id) => boolean');
  }
  return { norm, filter };
}

/** An integer option in [min, max], or `fallback` when it is undefined; INVALID_ARGUMENT otherwise. */
export function integerOption(name: string, value: unknown, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new MicroLoraError('INVALID_ARGUMENT', `${name} must be an integer in [${min}, ${max}], got ${String(v)}`, {
      details: { name, value: v },
    });
  }
  return v;
}
