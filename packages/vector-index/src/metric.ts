import type { Metric, SearchHit } from './contract.js';

/**
 * The contract's (distance, similarity) pair from a metric's natural score:
 * cosine → the cosine, inner-product → the dot product, l2 → the squared distance.
 */
export function hitFromScore(id: string, metric: Metric, score: number): SearchHit {
  if (metric === 'l2') {
    const distance = score < 0 ? 0 : score;
    return { id, distance, similarity: 1 / (1 + distance) };
  }
  // Rounding can push a cosine of unit vectors a hair past ±1; the contract promises [−1, 1].
  const similarity = metric === 'cosine' ? Math.min(1, Math.max(-1, score)) : score;
  return { id, distance: 1 - similarity, similarity };
}

/** Ascending distance, ties by id (code-unit order): the contract's result order. */
export function compareHits(a: SearchHit, b: SearchHit): number {
  if (a.distance !== b.distance) return a.distance < b.distance ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

const METRIC_CODES: readonly Metric[] = ['cosine', 'inner-product', 'l2'];

/** Stable one-byte code of a metric for binary formats. */
export function metricCode(metric: Metric): number {
  return METRIC_CODES.indexOf(metric);
}

/** The metric of a code written by metricCode(), or undefined for an unknown code. */
export function metricFromCode(code: number): Metric | undefined {
  return METRIC_CODES[code];
}
