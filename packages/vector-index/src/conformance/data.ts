import { SeededRng } from '@microlora/core';
import type { Seed } from '@microlora/core';

/** A Gaussian vector N(0, std²)^dimension. */
export function gaussianVector(rng: SeededRng, dimension: number, std = 1): Float32Array {
  return rng.fillNormal(new Float32Array(dimension), std);
}

/**
 * Points around `clusters` Gaussian centres (centre ~ N(0,1), offset ~ N(0, spread²)):
 * embedding-like data with neighbourhood structure, so recall@10 means something.
 * `sample(n)` draws n more points from the same mixture (use it for queries).
 */
export class ClusteredData {
  private readonly rng: SeededRng;
  private readonly centres: Float32Array[];

  constructor(
    seed: Seed,
    readonly dimension: number,
    clusters = 20,
    private readonly spread = 0.5,
  ) {
    this.rng = new SeededRng(seed);
    this.centres = Array.from({ length: clusters }, () => gaussianVector(this.rng, dimension));
  }

  sample(count: number): Float32Array[] {
    const out: Float32Array[] = [];
    for (let n = 0; n < count; n++) {
      const centre = this.centres[this.rng.int(this.centres.length)] as Float32Array;
      const v = new Float32Array(this.dimension);
      for (let i = 0; i < this.dimension; i++) v[i] = (centre[i] as number) + this.spread * this.rng.normal();
      out.push(v);
    }
    return out;
  }
}
