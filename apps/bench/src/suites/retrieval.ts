import { createFlatIndex } from '@microlora/vector-index';
import { createHammingIndex } from '@microlora/vector-index-hamming';
import type { HammingIndex } from '@microlora/vector-index-hamming';
import { createHnswIndex } from '@microlora/vector-index-hnswlib-node';
import { formatNs, machineDescription } from '../harness.js';
import type { BenchSuite, BenchTable } from '../harness.js';
import { clusteredSet, randomSet, textSet } from './retrieval/datasets.js';
import type { RetrievalSet } from './retrieval/datasets.js';
import { K, exactTopK, measureIndex, unavailableRows } from './retrieval/measure.js';
import type { IndexSpec, RetrievalRow } from './retrieval/measure.js';

/** hnswlib-node's defaults in our adapter: M 16, efConstruction 100. */
const HNSW_M = 16;

/** Coarse lists for the Hamming index's clustered setting at each size (notes: 64 at 10k, 256 at 100k). */
function coarseLists(n: number): { lists: number; probes: number } {
  if (n <= 2_000) return { lists: 16, probes: 4 };
  if (n <= 20_000) return { lists: 64, probes: 8 };
  return { lists: 256, probes: 8 };
}

function specs(n: number): IndexSpec[] {
  const { lists, probes } = coarseLists(n);
  return [
    {
      name: 'flat',
      create: (dimension, capacity) => createFlatIndex({ dimension, capacity }),
      variants: [{ label: 'flat (exact)' }],
      bytesPerVector: (_, dimension) => String(dimension * 4),
    },
    {
      name: 'hnswlib-node',
      create: (dimension, capacity) => createHnswIndex({ dimension, capacity, m: HNSW_M }),
      variants: [
        { label: 'hnswlib-node ef 64', options: { ef: 64 } },
        { label: 'hnswlib-node ef 128', options: { ef: 128 } },
      ],
      // Vector plus level-0 links (2·M u32) plus label; upper levels add ~1/M of that.
      bytesPerVector: (_, dimension) => `≈ ${dimension * 4 + 2 * HNSW_M * 4 + 4 + 8}`,
    },
    {
      name: 'hamming',
      create: (dimension, capacity) => createHammingIndex({ dimension, capacity }),
      variants: [{ label: 'hamming' }, { label: 'hamming ef 48', options: { ef: 48 } }, { label: 'hamming ef 192', options: { ef: 192 } }],
      bytesPerVector: (index) => String((index as HammingIndex).bytesPerVector),
    },
    {
      name: 'hamming-prefilter',
      create: (dimension, capacity) => createHammingIndex({ dimension, capacity, prefilter: 0.12 }),
      variants: [{ label: 'hamming prefilter 0.12' }],
      bytesPerVector: (index) => String((index as HammingIndex).bytesPerVector),
    },
    {
      name: 'hamming-lists',
      create: (dimension, capacity) => createHammingIndex({ dimension, capacity, lists, probes }),
      variants: [{ label: `hamming ${lists} lists, ${probes} probes` }],
      bytesPerVector: (index) => String((index as HammingIndex).bytesPerVector),
    },
  ];
}

const GOALS: Record<number, { p50Ns: number; recall: number }> = {
  10_000: { p50Ns: 50_000, recall: 0.95 },
  100_000: { p50Ns: 200_000, recall: 0.95 },
};

function cell(row: RetrievalRow): (string | number)[] {
  if (row.error !== undefined) return [row.set, row.n, row.index, 'unavailable', '', '', '', row.error];
  return [
    row.set,
    row.n,
    row.index,
    `${(row.buildMs / 1000).toFixed(2)} s`,
    formatNs(row.p50Ns),
    formatNs(row.p99Ns),
    row.recallAt5.toFixed(3),
    row.bytesPerVector,
  ];
}

/** The best Hamming row per (set, n) that meets the recall goal, against the latency goal. */
function goalRows(rows: readonly RetrievalRow[]): (string | number)[][] {
  const out: (string | number)[][] = [];
  for (const n of Object.keys(GOALS).map(Number)) {
    const goal = GOALS[n] as { p50Ns: number; recall: number };
    for (const set of ['text', 'clustered']) {
      const candidates = rows.filter((r) => r.set === set && r.n === n && r.index.startsWith('hamming') && r.error === undefined);
      if (candidates.length === 0) continue;
      const meeting = candidates.filter((r) => r.recallAt5 >= goal.recall).sort((a, b) => a.p50Ns - b.p50Ns);
      const best = meeting[0] ?? [...candidates].sort((a, b) => b.recallAt5 - a.recallAt5)[0];
      if (best === undefined) continue;
      const met = best.recallAt5 >= goal.recall && best.p50Ns <= goal.p50Ns;
      out.push([
        set,
        n,
        best.index,
        formatNs(best.p50Ns),
        best.recallAt5.toFixed(3),
        `≤ ${formatNs(goal.p50Ns)}, ≥ ${goal.recall}`,
        met ? 'met' : 'missed',
        best.bytesPerVector,
      ]);
    }
  }
  return out;
}

export const retrievalSuite: BenchSuite = {
  name: 'retrieval',
  quick: true,
  async run(ctx) {
    const sizes = ctx.full ? [1_000, 10_000, 100_000] : [1_000, 10_000];
    const queryCount = 200;
    const latencySamples = ctx.full ? 1000 : 400;
    const makers: [string, (n: number) => RetrievalSet][] = [
      ['text', (n) => textSet(n, queryCount, ctx.log)],
      ['clustered', (n) => clusteredSet(n, queryCount)],
      ['random', (n) => randomSet(n, queryCount)],
    ];
    const rows: RetrievalRow[] = [];
    const descriptions: string[] = [];
    for (const [name, make] of makers) {
      for (const n of sizes) {
        ctx.log(`${name} ${n}: generating`);
        const set = make(n);
        if (n === sizes[0]) descriptions.push(`${set.name}: ${set.description}`);
        let truth: string[][] | undefined;
        for (const spec of specs(n)) {
          ctx.log(`${name} ${n}: ${spec.name}`);
          try {
            if (spec.name !== 'flat' && truth === undefined) throw new Error('no exact results (flat index unavailable)');
            const measured = await measureIndex(spec, set, truth ?? [], latencySamples);
            if (spec.name === 'flat') {
              truth = exactTopK(measured.index, set.queries);
              for (const r of measured.rows) r.recallAt5 = 1;
            }
            rows.push(...measured.rows);
          } catch (err) {
            rows.push(...unavailableRows(spec, set, err));
          }
        }
      }
    }
    const table: BenchTable = {
      title: `Retrieval: build, per-query latency and recall@${K} (768-d, cosine, k = ${K})`,
      description:
        `${machineDescription()}. Single-threaded queries; p50/p99 from sampleLatencies over ${latencySamples} searches ` +
        `(cycling ${queryCount} held-out queries); recall@${K} against the exact flat index over the same queries. ` +
        `Build = create + addBatch of all N vectors.`,
      columns: ['set', 'N', 'index', 'build', 'p50', 'p99', `recall@${K}`, 'bytes / vector'],
      rows: rows.map(cell),
      notes: [
        ...descriptions,
        'flat: float32 store; hnswlib-node: M 16, efConstruction 100 (bytes estimated: vector + level-0 links + label);',
        'hamming: WebAssembly memory per slot — 1024-bit sign code + 16-bit values as two int8 planes + scale + candidate buffers; no float32 copy is kept (ids and the id map live on the JS heap on top, for every index).',
      ],
    };
    const goals: BenchTable = {
      title: 'Retrieval goals: fastest Hamming setting with recall@5 ≥ 0.95',
      description: 'Goal: p50 ≤ 50 µs at 10k and ≤ 200 µs at 100k (100k rows only in the full run), recall@5 ≥ 0.95, on the realistic sets.',
      columns: ['set', 'N', 'setting', 'p50', `recall@${K}`, 'goal', 'result', 'bytes / vector'],
      rows: goalRows(rows),
    };
    return { tables: [table, goals], data: { rows } };
  },
};
