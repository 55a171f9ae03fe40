import { do_not_optimize, measure } from 'mitata';
import os from 'node:os';
import { getBackendAsync, listBackends } from '@microlora/simd';
import type { SimdOps } from '@microlora/simd';

/** What every suite gets: whether this is the full run, and a logger for progress. */
export interface BenchContext {
  full: boolean;
  log(message: string): void;
}

/** One markdown table of the report. Numbers are printed as given; format them in the suite. */
export interface BenchTable {
  title: string;
  /** Machine, N, dimensions, parameters: what a reader needs to interpret the numbers. */
  description?: string;
  columns: string[];
  rows: (string | number)[][];
  notes?: string[];
}

/** A suite returns tables for REPORT.md and any raw data for results/<name>.json. */
export interface BenchSuiteResult {
  tables: BenchTable[];
  data?: Record<string, unknown>;
}

export interface BenchSuite {
  /** File-safe name: results/<name>.json. */
  name: string;
  /** Included in the quick `pnpm bench`? (The full run includes everything.) */
  quick: boolean;
  run(ctx: BenchContext): Promise<BenchSuiteResult>;
}

export interface Timing {
  /** Median ns per call. */
  p50: number;
  /** 99th percentile ns per call. */
  p99: number;
  /** Mean ns per call. */
  avg: number;
  samples: number;
}

/**
 * Times `fn` with mitata (batched for nanosecond ops, warmed up, outliers kept
 * for p99). `minMs` is the CPU time to spend measuring.
 */
export async function timeOp(fn: () => unknown, minMs = 300): Promise<Timing> {
  const stats = await measure(() => do_not_optimize(fn()), { min_cpu_time: minMs * 1e6 });
  return { p50: stats.p50, p99: stats.p99, avg: stats.avg, samples: stats.samples.length };
}

/** Per-call latencies (ns) of `count` individual calls, for ops that take microseconds or more. */
export function sampleLatencies(fn: (i: number) => unknown, count: number, warmup = Math.min(200, count)): number[] {
  for (let i = 0; i < warmup; i++) do_not_optimize(fn(i));
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    do_not_optimize(fn(i));
    out[i] = Number(process.hrtime.bigint() - t0);
  }
  return out;
}

/** The q-quantile (0..1) of numbers, by sorting a copy. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[pos] as number;
}

/** "123 ns", "4.56 µs", "7.89 ms". */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return 'n/a';
  if (ns < 1_000) return `${ns.toFixed(0)} ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(2)} µs`;
  if (ns < 1_000_000_000) return `${(ns / 1_000_000).toFixed(2)} ms`;
  return `${(ns / 1_000_000_000).toFixed(2)} s`;
}

/** A short description of this machine for every report. */
export function machineDescription(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown CPU';
  return `${cpus.length} × ${model}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.arch()}`;
}

/**
 * Every SIMD backend that initialises here, js first (other backends are reported as
 * ratios against it). Backend packages that are not built or not installed are skipped;
 * `only` keeps the named backends.
 */
export async function loadBackends(
  packages: readonly string[] = ['@microlora/simd-wasm', '@microlora/simd-tfjs'],
  only?: readonly string[],
): Promise<SimdOps[]> {
  for (const pkg of packages) {
    try {
      await import(pkg);
    } catch {
      // not built or not installed: the report lists only what loaded
    }
  }
  const out: SimdOps[] = [];
  for (const name of listBackends()) {
    if (only && !only.includes(name)) continue;
    try {
      out.push(await getBackendAsync(name));
    } catch {
      // unavailable on this machine (e.g. no SIMD128); the registry keeps the reason
    }
  }
  return out.sort((a, b) => Number(b.name === 'js') - Number(a.name === 'js'));
}
