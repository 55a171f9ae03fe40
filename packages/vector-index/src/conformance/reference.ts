import type { IndexItem, Metric, SearchHit, SearchOptions, VectorIndex } from '../contract.js';

/** The exact (distance, similarity) of one pair in float64, with a rounding scale for tolerances. */
export interface ReferenceScore {
  distance: number;
  similarity: number;
  /** Magnitude against which float32 rounding is judged (Σ|qᵢvᵢ| or Σ(qᵢ−vᵢ)², ≥ 1). */
  scale: number;
}

/** Exact float64 distance and similarity of `query` to `vector` per the contract's definitions. */
export function referenceScore(metric: Metric, query: Float32Array, vector: Float32Array): ReferenceScore {
  if (metric === 'l2') {
    let sum = 0;
    for (let i = 0; i < query.length; i++) {
      const e = (query[i] as number) - (vector[i] as number);
      sum += e * e;
    }
    return { distance: sum, similarity: 1 / (1 + sum), scale: Math.max(1, sum) };
  }
  let dot = 0;
  let abs = 0;
  let qq = 0;
  let vv = 0;
  for (let i = 0; i < query.length; i++) {
    const q = query[i] as number;
    const v = vector[i] as number;
    dot += q * v;
    abs += Math.abs(q * v);
    qq += q * q;
    vv += v * v;
  }
  if (metric === 'cosine') {
    const similarity = dot / Math.sqrt(qq * vv);
    return { distance: 1 - similarity, similarity, scale: 1 };
  }
  return { distance: 1 - dot, similarity: dot, scale: Math.max(1, abs) };
}

/** Exact top-k by brute force in float64: ascending distance, ties by id. */
export function referenceSearch(
  items: readonly IndexItem[],
  query: Float32Array,
  k: number,
  metric: Metric,
  filter?: (id: string) => boolean,
): SearchHit[] {
  const hits: SearchHit[] = [];
  for (const { id, vector } of items) {
    if (filter !== undefined && !filter(id)) continue;
    const { distance, similarity } = referenceScore(metric, query, vector);
    hits.push({ id, distance, similarity });
  }
  hits.sort((a, b) => (a.distance !== b.distance ? a.distance - b.distance : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return hits.slice(0, k);
}

/** |found ∩ truth| / |truth| (1 when truth is empty). */
export function recall(found: readonly SearchHit[], truth: readonly SearchHit[]): number {
  if (truth.length === 0) return 1;
  const want = new Set(truth.map((h) => h.id));
  let hit = 0;
  for (const h of found) if (want.has(h.id)) hit++;
  return hit / truth.length;
}

/**
 * Mean recall@k of `index` against `exact` (e.g. a flat index holding the same items)
 * over `queries`; `options` are passed to the approximate search only (e.g. `{ ef }`).
 */
export function meanRecall(
  index: Pick<VectorIndex, 'search'>,
  exact: Pick<VectorIndex, 'search'>,
  queries: readonly Float32Array[],
  k: number,
  options?: SearchOptions,
): number {
  if (queries.length === 0) return 1;
  let sum = 0;
  for (const query of queries) sum += recall(index.search(query, k, options), exact.search(query, k));
  return sum / queries.length;
}
