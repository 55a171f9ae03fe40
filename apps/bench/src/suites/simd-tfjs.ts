import { SeededRng, createLora, loraFromFactors } from '@microlora/core';
import type { LoraWeights } from '@microlora/core';
import { createJsBackend } from '@microlora/simd';
import type { SimdOps } from '@microlora/simd';
import { createTfjsBackend } from '@microlora/simd-tfjs';
import { createWasmBackend } from '@microlora/simd-wasm';
import type { LoraBatchStrategy } from '@microlora/simd-tfjs';
import { formatNs, machineDescription, quantile, sampleLatencies } from '../harness.js';
import type { BenchSuite, BenchTable } from '../harness.js';

const FEATURES = 768;
const ADAPTERS = 64;
const RANK = 2;
/** Composed adapters stack ranks (5 × rank 2 + …): the batch shape where tfjs-wasm pays off. */
const COMPOSED_RANK = 16;

interface Batch {
  rows: number;
  index: Int32Array;
  x: Float32Array;
  y: Float32Array;
}

function makeAdapters(rng: SeededRng, rank: number): LoraWeights[] {
  return Array.from({ length: ADAPTERS }, () => {
    const base = createLora({ rank, inFeatures: FEATURES, outFeatures: FEATURES, seed: rng.nextU32() });
    return loraFromFactors({ ...base, b: rng.fillNormal(new Float32Array(rank * FEATURES), 0.02) });
  });
}

interface SweepPoint {
  rows: number;
  js: number;
  /** tfjs on its wasm backend. */
  wasm: number;
  /** @microlora/simd-wasm (SIMD128): what getBackend() picks automatically where SIMD is available. */
  simd: number;
}

/** The smallest measured size from which tfjs-wasm is faster than js at every larger size too, or null. */
function crossoverOf(sweep: readonly SweepPoint[]): number | null {
  let crossover: number | null = null;
  for (let i = sweep.length - 1; i >= 0; i--) {
    const p = sweep[i] as SweepPoint;
    if (!(p.wasm < p.js)) break;
    crossover = p.rows;
  }
  return crossover;
}

const rowsPerSecond = (rows: number, ns: number): string => Math.round((rows / ns) * 1e9).toLocaleString('en-US');

function sweepTable(rank: number, sweep: readonly SweepPoint[], description: string): BenchTable {
  const crossover = crossoverOf(sweep);
  return {
    title: `loraApplyBatch, ${FEATURES} → ${FEATURES}, ${ADAPTERS} distinct rank-${rank} adapters — p50 per call (rows/s)`,
    description,
    columns: ['rows', 'js', 'tfjs-wasm', 'wasm SIMD (automatic choice)', 'tfjs-wasm speed vs js', 'automatic vs best'],
    rows: sweep.map((p) => [
      p.rows,
      `${formatNs(p.js)} (${rowsPerSecond(p.rows, p.js)})`,
      `${formatNs(p.wasm)} (${rowsPerSecond(p.rows, p.wasm)})`,
      `${formatNs(p.simd)} (${rowsPerSecond(p.rows, p.simd)})`,
      `${(p.js / p.wasm).toFixed(2)}×`,
      `${(p.simd / Math.min(p.js, p.wasm, p.simd)).toFixed(2)}× the best's time`,
    ]),
    notes: [
      'The automatic choice is getBackend() (wasm SIMD where WebAssembly SIMD exists, js otherwise); ' +
        'createBatchDispatcher can route large batches to tfjs from a crossover.',
      crossover === null
        ? `Crossover (rank ${rank}): none in range — tfjs-wasm is not faster than js at the largest size measured.`
        : `Crossover (rank ${rank}): tfjs-wasm is faster from ${crossover} rows on.`,
    ],
  };
}

function makeBatch(rng: SeededRng, rows: number): Batch {
  return {
    rows,
    index: Int32Array.from({ length: rows }, () => rng.int(ADAPTERS)),
    x: rng.fillNormal(new Float32Array(rows * FEATURES)),
    y: new Float32Array(rows * FEATURES),
  };
}

/** p50 ns of loraApplyBatch on one backend, sampling for about `budgetMs`. */
function timeBatch(be: SimdOps, adapters: LoraWeights[], b: Batch, budgetMs: number): { p50: number; p99: number } {
  const once = (): void => be.loraApplyBatch(adapters, b.index, b.x, b.y, b.rows);
  const t0 = process.hrtime.bigint();
  once();
  const firstMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const count = Math.max(7, Math.min(2000, Math.round(budgetMs / Math.max(firstMs, 0.001))));
  const ns = sampleLatencies(once, count, Math.min(20, count));
  return { p50: quantile(ns, 0.5), p99: quantile(ns, 0.99) };
}

/**
 * loraApplyBatch of N rows × 768 with 64 distinct adapters (random assignment):
 * js vs tfjs-wasm over batch sizes for rank 2 (micro adapters) and rank 16
 * (composed ones), the crossover of each, and at 1024 rows the gathered vs
 * stacked tfjs strategies on tfjs-wasm and tfjs-cpu.
 */
export const simdTfjsSuite: BenchSuite = {
  name: 'simd-tfjs',
  quick: true,
  async run(ctx) {
    const rng = new SeededRng('simd-tfjs bench');
    const budgetMs = ctx.full ? 1500 : 400;
    const js = createJsBackend();
    const simd = createWasmBackend();
    // Each tfjs backend is timed in its own block: alternating them would time tfjs backend switches.
    const wasm = await createTfjsBackend({ tfBackend: 'wasm' });
    const runSweep = (adapters: LoraWeights[], sizes: readonly number[]): SweepPoint[] =>
      sizes.map((rows) => {
        ctx.log(`loraApplyBatch ${rows} rows, rank ${(adapters[0] as LoraWeights).rank}: js vs tfjs-wasm`);
        const batch = makeBatch(rng, rows);
        return {
          rows,
          js: timeBatch(js, adapters, batch, budgetMs).p50,
          wasm: timeBatch(wasm, adapters, batch, budgetMs).p50,
          simd: timeBatch(simd, adapters, batch, budgetMs).p50,
        };
      });
    const adapters = makeAdapters(rng, RANK);
    const sweep = runSweep(adapters, ctx.full ? [1, 4, 16, 64, 256, 1024, 4096] : [1, 16, 256, 1024]);
    const composed = runSweep(makeAdapters(rng, COMPOSED_RANK), ctx.full ? [16, 64, 256, 1024] : [64, 1024]);
    const what = `${machineDescription()}. Random adapter per row; y += s_k·B_k(A_k x) into a preallocated buffer. tfjs-wasm: gathered (SGMV-style) strategy, single-threaded in Node.`;
    const crossover = crossoverOf(sweep);

    // Strategies at 1024 rows, per tfjs backend (cpu last: it is the slow one).
    const batch1024 = makeBatch(rng, 1024);
    const strategyRows: (string | number)[][] = [];
    const strategies: Record<string, number> = {};
    const jsAt1024 = timeBatch(js, adapters, batch1024, budgetMs).p50;
    strategyRows.push(['js', '—', `${formatNs(jsAt1024)} (${rowsPerSecond(1024, jsAt1024)})`]);
    const simdAt1024 = timeBatch(simd, adapters, batch1024, budgetMs).p50;
    strategyRows.push(['wasm SIMD', 'row loop', `${formatNs(simdAt1024)} (${rowsPerSecond(1024, simdAt1024)})`]);
    for (const tfBackend of ['wasm', 'cpu'] as const) {
      for (const batchStrategy of ['gathered', 'stacked'] as LoraBatchStrategy[]) {
        if (batchStrategy === 'stacked' && tfBackend === 'cpu' && !ctx.full) continue; // ~1 s a call
        ctx.log(`loraApplyBatch 1024 rows on tfjs-${tfBackend} ${batchStrategy}`);
        const be = await createTfjsBackend({ tfBackend, batchStrategy });
        const t = timeBatch(be, adapters, batch1024, budgetMs).p50;
        strategies[`${tfBackend}/${batchStrategy}`] = t;
        strategyRows.push([`tfjs-${tfBackend}`, batchStrategy, `${formatNs(t)} (${rowsPerSecond(1024, t)})`]);
      }
    }
    const strategyTable: BenchTable = {
      title: `loraApplyBatch strategies, 1024 rows × ${FEATURES}, ${ADAPTERS} rank-${RANK} adapters — p50 per call (rows/s)`,
      description:
        'gathered: rows grouped per adapter, one tfjs shrink matMul per block of adapters with ≤ 8 rank columns, expand fused into the add in JS for rank ≤ 4. ' +
        'stacked: one X·A_allᵀ over all rows, a per-row scaling mask, one ·B_all.',
      columns: ['backend', 'strategy', 'p50 (rows/s)'],
      rows: strategyRows,
    };
    return {
      tables: [sweepTable(RANK, sweep, what), sweepTable(COMPOSED_RANK, composed, what), strategyTable],
      data: { sweep, crossover, composed, composedCrossover: crossoverOf(composed), jsAt1024, simdAt1024, strategies },
    };
  },
};
