import type { SearchOptions, VectorIndex } from '@microlora/vector-index';
import { quantile, sampleLatencies } from '../../harness.js';
import type { RetrievalSet } from './datasets.js';

/** One way to search a built index (e.g. hnswlib at ef 64). */
export interface SearchVariant {
  label: string;
  options?: SearchOptions;
}

/** An index to build once and search with one or more variants. */
export interface IndexSpec {
  name: string;
  create(dimension: number, n: number): VectorIndex | Promise<VectorIndex>;
  variants: SearchVariant[];
  /** Bytes per stored vector, as a number or a labelled estimate. */
  bytesPerVector(index: VectorIndex, dimension: number): string;
}

/** One measured row: a build (shared by its variants) searched one way. */
export interface RetrievalRow {
  set: string;
  n: number;
  index: string;
  buildMs: number;
  p50Ns: number;
  p99Ns: number;
  recallAt5: number;
  bytesPerVector: string;
  error?: string;
}

export const K = 5;

/** Ids of the exact top k of every query (the flat index is exact). */
export function exactTopK(index: VectorIndex, queries: readonly Float32Array[]): string[][] {
  return queries.map((q) => index.search(q, K).map((h) => h.id));
}

/** Builds `spec` over `set`, then measures recall@5 against `truth` and per-query latency. */
export async function measureIndex(
  spec: IndexSpec,
  set: RetrievalSet,
  truth: readonly string[][],
  latencySamples: number,
): Promise<{ index: VectorIndex; rows: RetrievalRow[] }> {
  const n = set.vectors.length;
  const t0 = performance.now();
  const index = await spec.create(set.dimension, n);
  index.addBatch(set.vectors.map((vector, i) => ({ id: String(i), vector })));
  const buildMs = performance.now() - t0;
  const bytes = spec.bytesPerVector(index, set.dimension);
  const rows = spec.variants.map((variant): RetrievalRow => {
    let found = 0;
    set.queries.forEach((q, i) => {
      const want = new Set(truth[i]);
      for (const hit of index.search(q, K, variant.options)) if (want.has(hit.id)) found++;
    });
    const queries = set.queries;
    const latencies = sampleLatencies((i) => index.search(queries[i % queries.length] as Float32Array, K, variant.options), latencySamples);
    return {
      set: set.name,
      n,
      index: variant.label,
      buildMs,
      p50Ns: quantile(latencies, 0.5),
      p99Ns: quantile(latencies, 0.99),
      recallAt5: found / (K * set.queries.length),
      bytesPerVector: bytes,
    };
  });
  return { index, rows };
}

/** Rows saying why a spec could not be measured (its package missing or failing). */
export function unavailableRows(spec: IndexSpec, set: RetrievalSet, err: unknown): RetrievalRow[] {
  const message = err instanceof Error ? err.message : String(err);
  return spec.variants.map((v) => ({
    set: set.name,
    n: set.vectors.length,
    index: v.label,
    buildMs: Number.NaN,
    p50Ns: Number.NaN,
    p99Ns: Number.NaN,
    recallAt5: Number.NaN,
    bytesPerVector: 'unavailable',
    error: message.slice(0, 120),
  }));
}
