import { runServiceLoadTest } from '../../load-test.js';
import type { Command } from '../command.js';
import { withQuiet } from '../io.js';
import { integerOption, parseCommandLine } from '../options.js';

export const benchCommand: Command = {
  name: 'bench',
  summary: 'load-test the HTTP service on loopback (autocannon)',
  help: `Usage: microlora bench [options]

Stores synthetic patterns in a temporary data directory, starts \`microlora serve\`
on 127.0.0.1 (a child process) and runs autocannon against POST /adapter: first
answering adapters, then adapted hidden states. Prints requests/s, latency
percentiles, errors and the server's RSS before and after. Exit code 2 if any
request failed.

Options:
  --patterns N          patterns stored before the run (default 10000)
  --duration S          seconds per scenario (default 10)
  --connections N       concurrent connections (default 8)
  --quiet               no progress bars
  -h, --help            this help`,
  async run(args, baseIo) {
    const { values } = parseCommandLine(args, {
      patterns: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      quiet: { type: 'boolean' },
    });
    const io = withQuiet(baseIo, values.quiet);
    const result = await runServiceLoadTest({
      patterns: integerOption('patterns', values.patterns, 1, 1_000_000) ?? 10_000,
      durationSeconds: integerOption('duration', values.duration, 1, 3600) ?? 10,
      connections: integerOption('connections', values.connections, 1, 1024) ?? 8,
      progress: io.progress,
      log: values.quiet === true ? undefined : (message) => io.stderr.write(`microlora bench: ${message}\n`),
    });
    const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;
    const lines = [
      `${result.patterns} patterns, ${result.hiddenSize}-d, backend ${result.backend}, index ${result.index}, ${result.connections} connections (server started in ${result.serverStartSeconds.toFixed(1)} s)`,
      'scenario         req/s     p50 ms   p90 ms   p99 ms   max ms   errors  non-2xx',
      ...result.scenarios.map(
        (s) =>
          `${s.name.padEnd(15)} ${s.requestsPerSecond.toFixed(0).padStart(6)} ${s.latencyMs.p50.toFixed(1).padStart(9)} ${s.latencyMs.p90.toFixed(1).padStart(8)} ${s.latencyMs.p99.toFixed(1).padStart(8)} ${s.latencyMs.max.toFixed(1).padStart(8)} ${String(s.errors).padStart(8)} ${String(s.non2xx).padStart(8)}`,
      ),
      `server RSS: ${mib(result.memory.rssAtStartBytes)} at start, ${mib(result.memory.rssBeforeBytes)} after warm-up, ${mib(result.memory.rssAfterBytes)} after the runs (heap ${mib(result.memory.heapBeforeBytes)} → ${mib(result.memory.heapAfterBytes)})`,
    ];
    io.stdout.write(`${lines.join('\n')}\n`);
    const failed = result.scenarios.reduce((n, s) => n + s.errors + s.non2xx, 0);
    if (failed > 0) throw new Error(`${failed} requests failed during the load test`);
    return 0;
  },
};
