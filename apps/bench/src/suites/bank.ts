import { SeededRng, createLora, loraFromFactors } from '@microlora/core';
import type { CompressedLora } from '@microlora/core';
import { MicroLoraBank } from '@microlora/bank';
import { compress } from '@microlora/quantization';
import { createFlatIndex } from '@microlora/vector-index';
import type { IndexItem, SearchHit, SearchOptions, VectorIndex } from '@microlora/vector-index';
import { formatNs, machineDescription, quantile, sampleLatencies, timeOp } from '../harness.js';
import type { BenchSuite, BenchTable } from '../harness.js';

const DIM = 768;
const LATENT = 64;
const CLUSTERS = 100;

/** Unit vectors from a mixture of Gaussians in a 64-d latent, projected to 768-d (the "clustered" case). */
function clusteredEmbeddings(rng: SeededRng, count: number): Float32Array[] {
  const projection = rng.fillNormal(new Float32Array(LATENT * DIM), 1 / Math.sqrt(LATENT));
  const centers = Array.from({ length: CLUSTERS }, () => rng.fillNormal(new Float32Array(LATENT)));
  const latent = new Float32Array(LATENT);
  const out: Float32Array[] = [];
  for (let n = 0; n < count; n++) {
    const center = centers[rng.int(CLUSTERS)] as Float32Array;
    for (let j = 0; j < LATENT; j++) latent[j] = (center[j] as number) + 0.35 * rng.normal();
    const v = new Float32Array(DIM);
    let norm = 0;
    for (let i = 0; i < DIM; i++) {
      let s = 0;
      for (let j = 0; j < LATENT; j++) s += (latent[j] as number) * (projection[j * DIM + i] as number);
      v[i] = s;
      norm += s * s;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let i = 0; i < DIM; i++) v[i] = (v[i] as number) * inv;
    out.push(v);
  }
  return out;
}

/** Delegates to a real index; while `replay` is set, search returns it instead (isolates the bank's own cost). */
class ReplayIndex implements VectorIndex {
  replay: SearchHit[] | undefined;
  constructor(readonly inner: VectorIndex) {}
  get kind(): string {
    return this.inner.kind;
  }
  get dimension(): number {
    return this.inner.dimension;
  }
  get metric(): VectorIndex['metric'] {
    return this.inner.metric;
  }
  get exact(): boolean {
    return this.inner.exact;
  }
  get size(): number {
    return this.inner.size;
  }
  get capacity(): number {
    return this.inner.capacity;
  }
  add(id: string, vector: Float32Array): void {
    this.inner.add(id, vector);
  }
  addBatch(items: Iterable<IndexItem>): void {
    this.inner.addBatch(items);
  }
  remove(id: string): void {
    this.inner.remove(id);
  }
  has(id: string): boolean {
    return this.inner.has(id);
  }
  search(query: Float32Array, k: number, options?: SearchOptions): SearchHit[] {
    return this.replay ?? this.inner.search(query, k, options);
  }
  ids(): string[] {
    return this.inner.ids();
  }
  save(): Promise<Uint8Array> {
    return this.inner.save();
  }
  load(bytes: Uint8Array): Promise<void> {
    return this.inner.load(bytes);
  }
}

export const bankSuite: BenchSuite = {
  name: 'bank',
  quick: true,
  async run(ctx) {
    const patterns = 10_000;
    const k = 5;
    const oversample = 4;
    const rng = new SeededRng(42);
    ctx.log(`bank: generating ${patterns} clustered 768-d embeddings`);
    const embeddings = clusteredEmbeddings(rng, patterns + 200);
    const queries = embeddings.splice(patterns, 200);
    // 64 distinct rank-2 768×768 adapters, shared by the patterns (retrieval cost does not depend on the weights).
    const loras: CompressedLora[] = Array.from({ length: 64 }, (_, i) => {
      const base = createLora({ rank: 2, inFeatures: DIM, outFeatures: DIM, seed: i });
      return compress(loraFromFactors({ ...base, b: rng.fillNormal(new Float32Array(2 * DIM), 0.02) }), 'per-row');
    });

    ctx.log('bank: inserting');
    const index = new ReplayIndex(createFlatIndex({ dimension: DIM, metric: 'cosine', capacity: patterns }));
    const bank = new MicroLoraBank({ timestepRange: [0, 1], maxPatterns: patterns, index, oversample });
    const now = Date.now();
    const insertNs = sampleLatencies(
      (i) =>
        bank.insert({
          id: `p${i}`,
          embedding: embeddings[i] as Float32Array,
          lora: loras[i % loras.length] as CompressedLora,
          timestepRange: [0, 1],
          metrics: { successRate: rng.next(), lastUsed: now - rng.uniform(0, 30 * 24 * 3600 * 1000) },
        }),
      patterns,
      0,
    );

    ctx.log('bank: retrieve vs raw index search');
    const count = ctx.full ? 400 : 120;
    const inner = index.inner;
    const rawNs = sampleLatencies(
      (i) => inner.search(queries[i % queries.length] as Float32Array, k * oversample),
      count,
      20,
    );
    const retrieveNs = sampleLatencies((i) => bank.retrieve(queries[i % queries.length] as Float32Array, k), count, 20);

    // The bank's own cost on top of the search: replay one query's 20 hits and time retrieve alone.
    const q0 = queries[0] as Float32Array;
    index.replay = inner.search(q0, k * oversample);
    const rerank = await timeOp(() => bank.retrieve(q0, k), ctx.full ? 1000 : 300);
    index.replay = undefined;

    ctx.log('bank: insert with eviction, save, load');
    let next = patterns;
    const evictNs = sampleLatencies(
      () =>
        bank.insert({
          id: `n${next}`,
          embedding: embeddings[next++ % patterns] as Float32Array,
          lora: loras[next % loras.length] as CompressedLora,
          timestepRange: [0, 1],
        }),
      ctx.full ? 2000 : 500,
      0,
    );
    const t0 = process.hrtime.bigint();
    const bytes = await bank.save();
    const t1 = process.hrtime.bigint();
    const loaded = await MicroLoraBank.load(bytes);
    const t2 = process.hrtime.bigint();
    const stats = bank.stats();

    const p = (values: number[], q: number): string => formatNs(quantile(values, q));
    const retrieval: BankTableRows = [
      ['index.search (flat, exact), k = 20', p(rawNs, 0.5), p(rawNs, 0.99)],
      [`bank.retrieve, k = ${k} (search 20 + re-rank)`, p(retrieveNs, 0.5), p(retrieveNs, 0.99)],
      ['bank overhead alone (re-rank 20 → 5, replayed hits)', formatNs(rerank.p50), formatNs(rerank.p99)],
    ];
    const tables: BenchTable[] = [
      {
        title: 'MicroLoraBank retrieve: 10k patterns, 768-d clustered embeddings, rank-2 int8 adapters',
        description: `${machineDescription()}. Default flat cosine index, oversample ${oversample}, scoring 0.5/0.3/0.2. ${count} queries (sampleLatencies); the overhead row uses timeOp.`,
        columns: ['operation', 'p50', 'p99'],
        rows: retrieval,
      },
      {
        title: 'MicroLoraBank maintenance (10k patterns)',
        columns: ['operation', 'value'],
        rows: [
          ['insert (validate, index add), p50', p(insertNs, 0.5)],
          ['insert at capacity (+ LRU eviction), p50 / p99', `${p(evictNs, 0.5)} / ${p(evictNs, 0.99)}`],
          ['save()', formatNs(Number(t1 - t0))],
          ['MicroLoraBank.load()', formatNs(Number(t2 - t1))],
          ['saved size', `${(bytes.length / 2 ** 20).toFixed(1)} MiB`],
          ['stats().bytes (int8 payloads + embeddings)', `${(stats.bytes / 2 ** 20).toFixed(1)} MiB`],
          ['patterns after load', loaded.size],
        ],
      },
    ];
    return {
      tables,
      data: {
        rawSearchNs: rawNs,
        retrieveNs,
        rerank,
        insertP50Ns: quantile(insertNs, 0.5),
        evictNs,
        saveNs: Number(t1 - t0),
        loadNs: Number(t2 - t1),
        savedBytes: bytes.length,
        stats,
      },
    };
  },
};

type BankTableRows = (string | number)[][];
