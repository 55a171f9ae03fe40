import { runServiceLoadTest } from '@microlora/app-node/load-test';
import { machineDescription } from '../harness.js';
import type { BenchSuite } from '../harness.js';

const PATTERNS = 10_000;
const CONNECTIONS = 8;

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

/**
 * The HTTP service under load: `microlora serve` (apps/node) over 10 000 stored
 * patterns in a child process on 127.0.0.1, autocannon against POST /adapter.
 */
export const serviceSuite: BenchSuite = {
  name: 'service',
  quick: false,
  async run(ctx) {
    const durationSeconds = ctx.full ? 30 : 5;
    const result = await runServiceLoadTest({ patterns: PATTERNS, durationSeconds, connections: CONNECTIONS, log: ctx.log });
    const failed = result.scenarios.reduce((n, s) => n + s.errors + s.non2xx, 0);
    return {
      tables: [
        {
          title: 'HTTP service: POST /adapter under load (loopback)',
          description: `${machineDescription()}. \`microlora serve\` over ${result.patterns} stored patterns (rank 2, ${result.hiddenSize}-d, backend ${result.backend}, index ${result.index}), ${result.connections} autocannon connections on 127.0.0.1 for ${durationSeconds} s per scenario after a warm-up; server and load generator are separate processes.`,
          columns: ['scenario', 'requests/s', 'p50', 'p90', 'p99', 'max', 'errors', 'non-2xx'],
          rows: result.scenarios.map((s) => [
            s.description,
            s.requestsPerSecond.toFixed(0),
            `${s.latencyMs.p50.toFixed(1)} ms`,
            `${s.latencyMs.p90.toFixed(1)} ms`,
            `${s.latencyMs.p99.toFixed(1)} ms`,
            `${s.latencyMs.max.toFixed(1)} ms`,
            s.errors,
            s.non2xx,
          ]),
          notes: [
            `Server RSS ${mib(result.memory.rssAtStartBytes)} after start (journal replay of ${result.patterns} patterns: ${result.serverStartSeconds.toFixed(1)} s), ${mib(result.memory.rssBeforeBytes)} after the warm-up, ${mib(result.memory.rssAfterBytes)} after all scenarios; heap ${mib(result.memory.heapBeforeBytes)} → ${mib(result.memory.heapAfterBytes)}.`,
            failed === 0 ? 'Zero failed requests.' : `${failed} requests FAILED (connection errors or non-2xx answers).`,
            'Reproduce: `node apps/node/dist/cli.js bench --duration 30` (same code path).',
          ],
        },
      ],
      data: { ...result, durationSeconds },
    };
  },
};
