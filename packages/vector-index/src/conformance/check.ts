import { isMicroLoraError } from '@microlora/core';
import type { MicroLoraErrorCode } from '@microlora/core';
import type { IndexItem, Metric, SearchHit } from '../contract.js';
import { referenceScore } from './reference.js';

/** Throws a plain Error with `message` unless `condition` holds. */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return `${err.name}${code === undefined ? '' : `(${String(code)})`}: ${err.message}`;
  }
  return `non-Error ${String(err)}`;
}

function checkCode(err: unknown, codes: readonly MicroLoraErrorCode[], label: string): void {
  if (!codes.some((code) => isMicroLoraError(err, code))) {
    throw new Error(`${label}: expected MicroLoraError ${codes.join(' or ')}, got ${describeError(err)}`);
  }
}

/** `fn` must throw a MicroLoraError with one of `codes`. */
export function expectThrows(fn: () => unknown, codes: readonly MicroLoraErrorCode[], label: string): void {
  let result: unknown;
  try {
    result = fn();
  } catch (err) {
    checkCode(err, codes, label);
    return;
  }
  if (result instanceof Promise) {
    throw new Error(`${label}: returned a Promise; this method must throw synchronously`);
  }
  throw new Error(`${label}: expected MicroLoraError ${codes.join(' or ')}, but nothing was thrown`);
}

/** `fn` must throw or reject with a MicroLoraError with one of `codes`. */
export async function expectRejects(
  fn: () => unknown,
  codes: readonly MicroLoraErrorCode[],
  label: string,
): Promise<void> {
  try {
    await fn();
  } catch (err) {
    checkCode(err, codes, label);
    return;
  }
  throw new Error(`${label}: expected MicroLoraError ${codes.join(' or ')}, but it succeeded`);
}

/** Hits ascend by distance, ties by id, and no id repeats. */
export function checkOrdered(hits: readonly SearchHit[], label: string): void {
  const seen = new Set<string>();
  for (let i = 0; i < hits.length; i++) {
    const h = hits[i] as SearchHit;
    check(typeof h.id === 'string', `${label}: hit ${i} has a non-string id`);
    check(!seen.has(h.id), `${label}: id ${h.id} is returned twice`);
    seen.add(h.id);
    if (i > 0) {
      const p = hits[i - 1] as SearchHit;
      check(
        p.distance < h.distance || (p.distance === h.distance && p.id < h.id),
        `${label}: hits ${i - 1} (${p.id}, ${p.distance}) and ${i} (${h.id}, ${h.distance}) are out of order (ascending distance, ties by id)`,
      );
    }
  }
}

/**
 * Every hit's distance and similarity equal the exact float64 values for its id
 * within `rel`·scale, and distance/similarity agree with each other per the contract.
 */
export function checkHitValues(
  hits: readonly SearchHit[],
  query: Float32Array,
  byId: ReadonlyMap<string, Float32Array>,
  metric: Metric,
  rel: number,
  label: string,
): void {
  for (const h of hits) {
    const v = byId.get(h.id);
    check(v !== undefined, `${label}: returned id ${h.id}, which is not in the index`);
    const ref = referenceScore(metric, query, v);
    const tol = rel * ref.scale;
    check(
      Math.abs(h.distance - ref.distance) <= tol,
      `${label}: ${metric} distance of ${h.id} is ${h.distance}, expected ${ref.distance} (±${tol})`,
    );
    check(
      Math.abs(h.similarity - ref.similarity) <= tol,
      `${label}: ${metric} similarity of ${h.id} is ${h.similarity}, expected ${ref.similarity} (±${tol})`,
    );
    const implied = metric === 'l2' ? 1 / (1 + h.distance) : 1 - h.distance;
    check(
      Math.abs(h.similarity - implied) <= 1e-9 * Math.max(1, Math.abs(implied)),
      `${label}: similarity ${h.similarity} of ${h.id} does not match its distance ${h.distance} under ${metric}`,
    );
    if (metric === 'cosine') check(h.similarity >= -1 && h.similarity <= 1, `${label}: cosine similarity ${h.similarity} outside [−1, 1]`);
  }
}

/** For an exact index: rank i's distance equals the reference rank i's (so the top k is right up to ties). */
export function checkExactRanks(
  hits: readonly SearchHit[],
  truth: readonly SearchHit[],
  items: ReadonlyMap<string, Float32Array>,
  query: Float32Array,
  metric: Metric,
  rel: number,
  label: string,
): void {
  check(hits.length === truth.length, `${label}: returned ${hits.length} hits, expected ${truth.length}`);
  for (let i = 0; i < truth.length; i++) {
    const got = hits[i] as SearchHit;
    const want = truth[i] as SearchHit;
    const scale = referenceScore(metric, query, items.get(want.id) as Float32Array).scale;
    check(
      Math.abs(got.distance - want.distance) <= rel * scale,
      `${label}: rank ${i} is ${got.id} at ${got.distance}, but the exact rank ${i} is ${want.id} at ${want.distance}`,
    );
  }
}

/** id → vector map of the items (the original float32 vectors). */
export function vectorsById(items: readonly IndexItem[]): Map<string, Float32Array> {
  return new Map(items.map((it) => [it.id, it.vector]));
}
