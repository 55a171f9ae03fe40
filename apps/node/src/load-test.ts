import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { silentProgress, type ProgressFactory } from './progress.js';
import { PatternStore } from './store/pattern-store.js';
import { SyntheticCorpus } from './synthetic-patterns.js';

export interface ServiceLoadTestOptions {
  /** Patterns stored before the run. Default 10 000. */
  patterns?: number;
  /** Seconds per scenario. Default 30. */
  durationSeconds?: number;
  /** Concurrent connections. Default 8. */
  connections?: number;
  /** Default 768 (embeddings and hidden states). */
  hiddenSize?: number;
  /** The built CLI to start the server with. Default dist/cli.js next to this module. */
  cliPath?: string;
  log?: (message: string) => void;
  progress?: ProgressFactory;
}

export interface LoadScenarioResult {
  name: string;
  description: string;
  requests: number;
  durationSeconds: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** Connection errors (including timeouts). */
  errors: number;
  timeouts: number;
  non2xx: number;
  responseBytesPerSecond: number;
}

export interface ServiceLoadTestResult {
  patterns: number;
  connections: number;
  hiddenSize: number;
  /** Time to build and journal the synthetic patterns. */
  setupSeconds: number;
  /** Time from spawning `microlora serve` until it listened (journal replay included). */
  serverStartSeconds: number;
  backend: string;
  index: string;
  scenarios: LoadScenarioResult[];
  /** Server process memory from GET /stats: after start, after a warm-up, after every scenario. */
  memory: { rssAtStartBytes: number; rssBeforeBytes: number; rssAfterBytes: number; heapBeforeBytes: number; heapAfterBytes: number };
}

interface ServerStats {
  microlora: { backend: string; index: string; patterns: number };
  process: { rssBytes: number; heapUsedBytes: number };
}

function defaultCliPath(): string {
  const beside = fileURLToPath(new URL('./cli.js', import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL('../dist/cli.js', import.meta.url));
}

/** Starts `microlora serve` on an ephemeral loopback port; resolves with its URL once it listens. */
export function startServer(cliPath: string, args: readonly string[], timeoutMs = 180_000): Promise<{ child: ChildProcess; url: string }> {
  if (!existsSync(cliPath)) {
    return Promise.reject(new Error(`${cliPath} does not exist; build apps/node first (npx tsc -b)`));
  }
  const child = spawn(process.execPath, [cliPath, 'serve', '--host', '127.0.0.1', '--port', '0', '--quiet', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    let errors = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not start within ${timeoutMs} ms: ${errors.slice(-500)}`));
    }, timeoutMs);
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      output += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ child, url: match[1] as string });
      }
    });
    child.stderr?.on('data', (chunk: string) => {
      errors = (errors + chunk).slice(-4000);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (code ${String(code)}, signal ${String(signal)}) before listening: ${errors.slice(-500)}`));
    });
  });
}

/** Stops a server child: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopServer(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

async function serverStats(url: string): Promise<ServerStats> {
  const response = await fetch(`${url}/stats`);
  if (!response.ok) throw new Error(`GET /stats answered ${response.status}`);
  return (await response.json()) as ServerStats;
}

async function runScenario(
  url: string,
  name: string,
  description: string,
  bodies: readonly string[],
  durationSeconds: number,
  connections: number,
): Promise<LoadScenarioResult> {
  let next = 0;
  const result = await autocannon({
    url,
    connections,
    duration: durationSeconds,
    timeout: 10,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        method: 'POST',
        path: '/adapter',
        setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }),
      },
    ],
  });
  return {
    name,
    description,
    requests: result.requests.total,
    durationSeconds: result.duration,
    requestsPerSecond: result.requests.average,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    responseBytesPerSecond: result.throughput.average,
  };
}

/**
 * Load test of the HTTP service on loopback: stores `patterns` synthetic patterns
 * in a temporary data directory, starts `microlora serve` on 127.0.0.1 in a child
 * process (so the load generator does not share its event loop), and runs
 * autocannon against POST /adapter (adapter answers, then adapted hidden states).
 */
export async function runServiceLoadTest(options: ServiceLoadTestOptions = {}): Promise<ServiceLoadTestResult> {
  const patterns = options.patterns ?? 10_000;
  const durationSeconds = options.durationSeconds ?? 30;
  const connections = options.connections ?? 8;
  const hiddenSize = options.hiddenSize ?? 768;
  const log = options.log ?? (() => undefined);
  const progress = options.progress ?? silentProgress;
  const directory = await mkdtemp(join(tmpdir(), 'microlora-load-'));
  let child: ChildProcess | undefined;
  try {
    const setupStarted = performance.now();
    const corpus = new SyntheticCorpus(hiddenSize);
    const store = await PatternStore.open(directory, { config: { dimension: hiddenSize, hiddenSize } });
    const bar = progress('storing synthetic patterns', patterns);
    try {
      const batch = 500;
      for (let start = 0; start < patterns; start += batch) {
        const items = [];
        for (let i = start; i < Math.min(patterns, start + batch); i++) {
          const p = corpus.pattern(i);
          items.push({ id: p.id, embedding: store.micro.embed(p.query), lora: p.lora, timestepRange: p.timestepRange });
        }
        await store.insertPatterns(items);
        bar.update(Math.min(patterns, start + batch));
      }
      bar.finish();
    } finally {
      await store.close();
    }
    const setupSeconds = (performance.now() - setupStarted) / 1000;

    log(`starting microlora serve over ${patterns} patterns`);
    const startAt = performance.now();
    const server = await startServer(options.cliPath ?? defaultCliPath(), ['--data-dir', directory]);
    child = server.child;
    const serverStartSeconds = (performance.now() - startAt) / 1000;
    const atStart = await serverStats(server.url);

    const queries = Array.from({ length: 256 }, () => corpus.query());
    const times = queries.map((_, i) => (i % 10) / 9);
    const adapterBodies = queries.map((query, i) => JSON.stringify({ query, t: times[i] }));
    const hiddenBodies = queries.map((query, i) => JSON.stringify({ query, t: times[i], hidden: corpus.hidden() }));

    log('warming up');
    await runScenario(server.url, 'warm-up', '', adapterBodies, Math.max(1, Math.round(durationSeconds / 10)), connections);
    const before = await serverStats(server.url);
    const scenarios: LoadScenarioResult[] = [];
    log(`POST /adapter → adapter (f32 factors), ${durationSeconds} s`);
    scenarios.push(
      await runScenario(server.url, 'adapter', 'POST /adapter {query, t} → composed adapter, f32 factors as base64', adapterBodies, durationSeconds, connections),
    );
    log(`POST /adapter with hidden → adapted hidden state, ${durationSeconds} s`);
    scenarios.push(
      await runScenario(
        server.url,
        'adapter+hidden',
        `POST /adapter {query, t, hidden[${hiddenSize}]} → hidden + ΔW·hidden`,
        hiddenBodies,
        durationSeconds,
        connections,
      ),
    );
    const after = await serverStats(server.url);
    return {
      patterns: after.microlora.patterns,
      connections,
      hiddenSize,
      setupSeconds,
      serverStartSeconds,
      backend: after.microlora.backend,
      index: after.microlora.index,
      scenarios,
      memory: {
        rssAtStartBytes: atStart.process.rssBytes,
        rssBeforeBytes: before.process.rssBytes,
        rssAfterBytes: after.process.rssBytes,
        heapBeforeBytes: before.process.heapUsedBytes,
        heapAfterBytes: after.process.heapUsedBytes,
      },
    };
  } finally {
    if (child !== undefined) await stopServer(child);
    await rm(directory, { recursive: true, force: true });
  }
}
