import { createService } from '../../service/create-service.js';
import { PatternStore } from '../../store/pattern-store.js';
import type { Command } from '../command.js';
import { withQuiet } from '../io.js';
import {
  STORE_CONFIG_HELP,
  STORE_CONFIG_OPTIONS,
  bytesOption,
  dataDirFrom,
  integerOption,
  parseCommandLine,
  storeConfigFrom,
} from '../options.js';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the HTTP service over a data directory',
  help: `Usage: microlora serve [options]

Serves POST /adapter, POST /feedback, POST /patterns, GET /stats and GET /healthz
over the patterns in the data directory (created when missing). Every pattern and
feedback is journaled and fsynced before it is acknowledged. Also serves
POST /generate and POST /generate/feedback with the pretrained text model, loaded
on the first such request (its patterns and feedback stay in memory). Stops
cleanly on SIGINT/SIGTERM.

Options:
  --port N              TCP port; 0 picks a free one (default 8080)
  --host ADDR           address to bind (default 127.0.0.1, loopback only)
  --data-dir DIR        data directory (default $MICROLORA_DATA_DIR or ./microlora-data)
  --max-body SIZE       largest request body, e.g. 1mb (default 1mb)
  --body-timeout MS     time for a request body to arrive (default 10000)
  --snapshot-bytes SIZE journal size that triggers a snapshot (default 64mb)
  --quiet               no progress bars or log lines on stderr
  -h, --help            this help
${STORE_CONFIG_HELP}`,
  async run(args, baseIo) {
    const { values } = parseCommandLine(args, {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'max-body': { type: 'string' },
      'body-timeout': { type: 'string' },
      'snapshot-bytes': { type: 'string' },
      quiet: { type: 'boolean' },
      ...STORE_CONFIG_OPTIONS,
    });
    const io = withQuiet(baseIo, values.quiet);
    const port = integerOption('port', values.port, 0, 65535) ?? 8080;
    const host = values.host ?? '127.0.0.1';
    const maxBodyBytes = bytesOption('max-body', values['max-body'], 1024, 1 << 30);
    const bodyTimeoutMs = integerOption('body-timeout', values['body-timeout'], 100, 600_000);
    const snapshotBytes = bytesOption('snapshot-bytes', values['snapshot-bytes'], 1, 2 ** 40);
    const log = values.quiet === true ? () => undefined : (message: string) => io.stderr.write(`microlora: ${message}\n`);
    const store = await PatternStore.open(dataDirFrom(values['data-dir']), {
      config: storeConfigFrom(values),
      ...(snapshotBytes === undefined ? {} : { snapshotBytes }),
      progress: io.progress,
      log,
    });
    const service = createService({
      store,
      ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }),
      ...(bodyTimeoutMs === undefined ? {} : { bodyTimeoutMs }),
      log: (message) => io.stderr.write(`microlora: ${message}\n`),
    });
    let address;
    try {
      address = await service.listen(port, host);
    } catch (cause) {
      await store.close();
      throw cause;
    }
    const stats = store.micro.stats();
    io.stdout.write(
      `microlora: listening on ${address.url} (data dir ${store.directory}, ${stats.patterns} patterns, backend ${stats.backend}, index ${stats.index})\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        io.shutdown?.removeEventListener('abort', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      io.shutdown?.addEventListener('abort', stop);
    });
    log('shutting down: finishing requests in flight');
    await service.close();
    await store.close();
    log('stopped; every acknowledged change is on disk');
    return 0;
  },
};
