/**
 * Builds the report's figures from the stored suite JSON (results/<suite>.json).
 * A figure whose suite or fields are missing is skipped, never drawn from made-up data.
 */
import type { BenchTable } from '../harness.js';
import { barChart, lineChart, scatterChart } from './svg.js';
import type { Point, Series } from './svg.js';

/** The fields of a stored results/<suite>.json that the figures read. */
export interface StoredSuiteRecord {
  suite: string;
  machine: string;
  date: string;
  command: string;
  full: boolean;
  error?: string;
  tables?: BenchTable[];
  data?: Record<string, unknown>;
}

export interface Figure {
  /** File-safe name: charts/<name>.svg. */
  name: string;
  title: string;
  svg: string;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : typeof v === 'string' ? firstNumber(v) : Number.NaN;
}

/** The first number in a cell such as "30 (HNSW)" or "< 100"; NaN for "—". */
function firstNumber(cell: string): number {
  const m = /-?\d+(?:\.\d+)?(?:e-?\d+)?/i.exec(cell);
  return m ? Number(m[0]) : Number.NaN;
}

function provenance(s: StoredSuiteRecord): string {
  return `${s.machine} · ${s.date.slice(0, 10)} · \`${s.command}\` (${s.full ? 'full' : 'quick'}) · suite ${s.suite}`.replaceAll('`', '');
}

function mean(xs: readonly number[]): number {
  const f = xs.filter(Number.isFinite);
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : Number.NaN;
}

/** Trailing mean over `window` rounds, sampled to at most `maxPoints` points (x = round, 1-based). */
function trailingMean(values: readonly number[], window: number, maxPoints: number): Point[] {
  const out: Point[] = [];
  const every = Math.max(1, Math.ceil(values.length / maxPoints));
  let sum = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'number' && Number.isFinite(v)) {
      sum += v;
      count++;
    }
    const old = i >= window ? values[i - window] : undefined;
    if (typeof old === 'number' && Number.isFinite(old)) {
      sum -= old;
      count--;
    }
    if ((i + 1) % every === 0 || i === values.length - 1) if (count > 0) out.push([i + 1, sum / count]);
  }
  return out;
}

function numbers(v: unknown): number[] {
  return Array.isArray(v) ? v.map(num) : [];
}

// --- 1. latency per stage (request-path)

const STAGES: readonly { key: string; label: string; row: (stage: string) => boolean }[] = [
  { key: 'embed', label: 'embed (20 words)', row: (s) => /embedding/i.test(s) },
  { key: 'search', label: 'search (20 candidates)', row: (s) => /^search/i.test(s) },
  { key: 'retrieve', label: 'retrieve (search + re-rank)', row: (s) => /^retrieve/i.test(s) },
  { key: 'decompress', label: 'decompress 5 (wasm)', row: (s) => /decompression/i.test(s) && /wasm/i.test(s) },
  { key: 'decompressJs', label: 'decompress 5 (JS)', row: (s) => /decompression/i.test(s) && /scalar JS/i.test(s) },
  { key: 'compose', label: 'compose (incl. decompress)', row: (s) => /^composition/i.test(s) },
  { key: 'apply', label: 'apply rank 10', row: (s) => /^apply/i.test(s) },
];

function stageFigure(s: StoredSuiteRecord): Figure | undefined {
  const stages = s.data?.stages;
  if (!isObject(stages)) return undefined;
  const present = STAGES.filter((st) => isObject(stages[st.key]));
  if (present.length === 0) return undefined;
  const specTable = s.tables?.find((t) => t.columns.includes('spec') && t.columns[0] === 'stage');
  const specCol = specTable?.columns.indexOf('spec') ?? -1;
  const spec = present.map((st) => {
    const row = specTable?.rows.find((r) => st.row(String(r[0] ?? '')));
    return row && specCol >= 0 ? num(row[specCol]) : Number.NaN;
  });
  const p = (q: 'p50' | 'p99'): number[] => present.map((st) => num((stages[st.key] as Json)[q]) / 1000);
  const series = [
    { name: 'measured p50', values: p('p50') },
    { name: 'measured p99', values: p('p99') },
  ];
  if (spec.some(Number.isFinite)) series.push({ name: 'spec claim', values: spec });
  const title = 'Request path: latency per stage';
  return {
    name: 'request-path-stages',
    title,
    svg: barChart({
      title,
      xLabel: 'µs per call (lower is better)',
      yLabel: '',
      categories: present.map((st) => st.label),
      series,
      height: 380,
      caption: [
        `Discrete bank, N = 10k patterns, 768-d, k = 5, hamming index, composite rank 10, wasm backend; each stage timed alone.`,
        provenance(s),
      ],
    }),
  };
}

// --- 2. recall against latency, 3. scaling with N (retrieval)

interface RetrievalRow {
  set: string;
  n: number;
  index: string;
  p50Ns: number;
  recallAt5: number;
}

function retrievalRows(s: StoredSuiteRecord): RetrievalRow[] {
  const rows = s.data?.rows;
  if (!Array.isArray(rows)) return [];
  return rows.filter(isObject).map((r) => ({
    set: String(r.set ?? ''),
    n: num(r.n),
    index: String(r.index ?? ''),
    p50Ns: num(r.p50Ns),
    recallAt5: num(r.recallAt5),
  }));
}

/** The IVF variant's label names its lists/probes, which change with N; one series across N. */
function indexKind(label: string): string {
  return /^hamming \d+ lists, \d+ probes$/.test(label) ? 'hamming lists + probes' : label;
}

function nLabel(n: number): string {
  return n >= 1000 ? `${n / 1000}k` : String(n);
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

function recallFigures(s: StoredSuiteRecord): Figure[] {
  const rows = retrievalRows(s);
  const figures: Figure[] = [];
  for (const set of unique(rows.map((r) => r.set))) {
    for (const n of unique(rows.filter((r) => r.set === set && r.n >= 10_000).map((r) => r.n)).sort((a, b) => a - b)) {
      const here = rows.filter((r) => r.set === set && r.n === n);
      const series: Series[] = here.map((r) => ({ name: r.index, points: [[r.p50Ns / 1000, r.recallAt5]] }));
      if (!series.length) continue;
      const title = `Recall@5 against p50 latency: ${set} set, N = ${nLabel(n)}`;
      figures.push({
        name: `retrieval-recall-${set}-${nLabel(n)}`,
        title,
        svg: scatterChart({
          title,
          xLabel: 'p50 µs per query (log scale; left is faster)',
          yLabel: 'recall@5 vs exact (up is better)',
          xLog: true,
          series,
          caption: [`${set} vectors, N = ${n}, 768-d, cosine, k = 5; one point per index setting.`, provenance(s)],
        }),
      });
    }
  }
  return figures;
}

function scalingFigure(s: StoredSuiteRecord): Figure | undefined {
  const rows = retrievalRows(s).filter((r) => r.set === 'text');
  const ns = unique(rows.map((r) => r.n)).sort((a, b) => a - b);
  if (ns.length < 2) return undefined;
  const kinds = unique(rows.map((r) => indexKind(r.index)));
  const series: Series[] = kinds.map((kind) => ({
    name: kind,
    markers: true,
    dashed: kind.startsWith('flat'),
    points: rows
      .filter((r) => indexKind(r.index) === kind)
      .sort((a, b) => a.n - b.n)
      .map((r): Point => [r.n, r.p50Ns / 1000]),
  }));
  const title = 'Retrieval: p50 latency against N (text set)';
  return {
    name: 'retrieval-scaling-text',
    title,
    svg: lineChart({
      title,
      xLabel: 'N (patterns in the index, log scale)',
      yLabel: 'p50 µs per query (log scale)',
      xLog: true,
      yLog: true,
      series,
      caption: [
        `text vectors, N = ${ns.map(nLabel).join(', ')}, 768-d, cosine, k = 5; hamming lists/probes grow with N (see the retrieval table).`,
        provenance(s),
      ],
    }),
  };
}

// --- 4. learning curves

function linearFitFigure(s: StoredSuiteRecord): Figure | undefined {
  const fit = s.data?.linearFit;
  if (!isObject(fit)) return undefined;
  const rules: [key: string, label: string][] = [
    ['normalized', 'normalized, lr 0.8'],
    ['sgd', 'sgd, lr 0.002'],
  ];
  let seeds = 0;
  const series: Series[] = [];
  for (const [key, label] of rules) {
    const curves = fit[key];
    if (!Array.isArray(curves) || curves.length === 0) continue;
    seeds = Math.max(seeds, curves.length);
    const bySample = new Map<number, number[]>();
    for (const curve of curves) {
      if (!Array.isArray(curve)) continue;
      for (const pt of curve) {
        if (!Array.isArray(pt)) continue;
        const x = num(pt[0]);
        const y = num(pt[1]);
        if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
        bySample.set(x, [...(bySample.get(x) ?? []), y]);
      }
    }
    const points = [...bySample.entries()].sort((a, b) => a[0] - b[0]).map(([x, ys]): Point => [x, mean(ys)]);
    series.push({ name: `${label} (mean of ${curves.length})`, points, markers: true });
  }
  if (series.every((x) => x.points.length === 0)) return undefined;
  const title = '(d) Variance explained against samples: OnlineLearner linear fit';
  return {
    name: 'learning-linear-fit',
    title,
    svg: lineChart({
      title,
      xLabel: 'training samples',
      yLabel: 'variance explained (R²)',
      yInclude: [0, 1],
      xInclude: [0],
      series,
      caption: [`768×768, rank-2 target, rank-2 learner, mean over ${seeds} seeds per step rule.`, provenance(s)],
    }),
  };
}

function policyGradientFigure(s: StoredSuiteRecord): Figure | undefined {
  const pg = s.data?.policyGradient;
  const curve = isObject(pg) ? numbers(pg.clusters4Rank4) : [];
  if (curve.length === 0) return undefined;
  const title = '(a) Policy gradient: P(preferred class) per round';
  return {
    name: 'learning-policy-gradient',
    title,
    svg: lineChart({
      title,
      xLabel: 'round',
      yLabel: 'P(preferred), trailing mean of 50',
      yInclude: [0, 1],
      xInclude: [0],
      series: [{ name: '4 clusters, rank 4', points: trailingMean(curve, 50, 400) }],
      caption: [`768-d, 4 clusters × 4 preferred of 10 classes, rank 4, lr 1, ${curve.length} rounds, one seed (3).`, provenance(s)],
    }),
  };
}

function qualityOnlyFigure(s: StoredSuiteRecord): Figure | undefined {
  const qo = s.data?.qualityOnly;
  const curve = isObject(qo) ? numbers(qo.d768) : [];
  if (curve.length === 0) return undefined;
  const title = '(b) Quality-only feedback: mean quality per round (768-d)';
  return {
    name: 'learning-quality-only',
    title,
    svg: lineChart({
      title,
      xLabel: 'round',
      yLabel: 'quality, trailing mean of 200',
      yInclude: [0, 1],
      xInclude: [0],
      series: [{ name: '768-d, rank 2', points: trailingMean(curve, 200, 400) }],
      caption: [`768-d, rank 2, exploration 0.1, lr 0.01, ${curve.length} rounds, one seed (5).`, provenance(s)],
    }),
  };
}

/** Every figure the stored suites support, in report order. */
export function buildFigures(stored: readonly StoredSuiteRecord[]): Figure[] {
  const bySuite = new Map(stored.map((s) => [s.suite, s]));
  const figures: (Figure | undefined)[] = [];
  const tryBuild = (suite: string, build: (s: StoredSuiteRecord) => Figure | Figure[] | undefined): void => {
    const s = bySuite.get(suite);
    if (!s || s.error !== undefined) return;
    try {
      const f = build(s);
      figures.push(...(Array.isArray(f) ? f : [f]));
    } catch (err) {
      // A malformed result file must not cost the whole report its tables.
      console.error(`chart for ${suite} skipped: ${String(err)}`);
    }
  };
  tryBuild('request-path', stageFigure);
  tryBuild('retrieval', recallFigures);
  tryBuild('retrieval', scalingFigure);
  tryBuild('learning', linearFitFigure);
  tryBuild('learning', policyGradientFigure);
  tryBuild('learning', qualityOnlyFigure);
  return figures.filter((f): f is Figure => f !== undefined);
}
