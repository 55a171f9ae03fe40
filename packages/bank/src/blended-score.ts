import type { Metric, SearchHit } from '@microlora/vector-index';

/**
 * A search hit's similarity mapped to [0, 1]: (cos + 1) / 2 for cosine (and for
 * inner-product, meaningful for unit vectors; clamped), 1 / (1 + d²) for l2.
 */
export function unitSimilarity(metric: Metric, hit: SearchHit): number {
  if (metric === 'l2') return hit.similarity;
  const s = (hit.similarity + 1) * 0.5;
  return s < 0 ? 0 : s > 1 ? 1 : s;
}

/**
 * 0.5^(age / halfLife) written as exp(age · −ln2 / halfLife); pass
 * `decayPerMs = −ln2 / halfLifeMs`. A future lastUsed (clock skew) counts as age 0.
 */
export function recencyScore(ageMs: number, decayPerMs: number): number {
  return ageMs <= 0 ? 1 : Math.exp(ageMs * decayPerMs);
}
