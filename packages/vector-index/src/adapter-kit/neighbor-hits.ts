import type { Metric, SearchHit } from '../contract.js';
import { compareHits, hitFromScore } from '../metric.js';
import type { LabelMap } from './label-map.js';

/**
 * A k-NN answer in hnswlib's convention: labels and their distances, where a distance is
 * 1 − similarity under cosine and inner-product and the squared distance under l2.
 */
export interface LabelledNeighbors {
  neighbors: ArrayLike<number>;
  distances: ArrayLike<number>;
}

/**
 * The contract's hits for a labelled k-NN answer, sorted by (distance, id). Labels with no
 * live id (removed while the library still returned them) are dropped.
 */
export function hitsFromNeighbors(result: LabelledNeighbors, labels: Pick<LabelMap, 'idOf'>, metric: Metric): SearchHit[] {
  const hits: SearchHit[] = [];
  for (let i = 0; i < result.neighbors.length; i++) {
    const id = labels.idOf(result.neighbors[i] as number);
    if (id === undefined) continue;
    const distance = result.distances[i] as number;
    hits.push(hitFromScore(id, metric, metric === 'l2' ? distance : 1 - distance));
  }
  // hitFromScore clamps and maps scores, which can tie distinct distances; restore the id order.
  return hits.sort(compareHits);
}
