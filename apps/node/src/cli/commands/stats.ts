import { PatternStore } from '../../store/pattern-store.js';
import type { Command } from '../command.js';
import { withQuiet } from '../io.js';
import { dataDirFrom, parseCommandLine } from '../options.js';

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

export const statsCommand: Command = {
  name: 'stats',
  summary: 'print what a data directory holds',
  help: `Usage: microlora stats [--json] [options]

Prints the patterns per timestep bank, the snapshot and journal of a data
directory (read without locking it; a running server may keep serving).

Options:
  --json                print JSON instead of text
  --data-dir DIR        data directory (default $MICROLORA_DATA_DIR or ./microlora-data)
  --quiet               no progress bars
  -h, --help            this help`,
  async run(args, baseIo) {
    const { values } = parseCommandLine(args, {
      json: { type: 'boolean' },
      'data-dir': { type: 'string' },
      quiet: { type: 'boolean' },
    });
    const io = withQuiet(baseIo, values.quiet || values.json);
    const store = await PatternStore.open(dataDirFrom(values['data-dir']), { readOnly: true, progress: io.progress });
    await store.close();
    const micro = store.micro.stats();
    const s = store.stats();
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify({ microlora: micro, store: s }, null, 2)}\n`);
      return 0;
    }
    const boundaries = store.micro.manager.boundaries;
    const lines = [
      `data dir     ${s.dataDir}`,
      `patterns     ${micro.patterns} (${micro.talora.placements} bank placements, ${micro.talora.spanning} spanning several banks)`,
      `layout       ${s.config.dimension}-d embeddings, ${s.config.hiddenSize} → ${s.config.hiddenSize} adapters, index ${micro.index}, backend ${micro.backend}`,
      ...micro.talora.banks.map(
        (b, i) =>
          `bank ${i}       t ∈ [${(boundaries[i] ?? 0).toFixed(3)}, ${(boundaries[i + 1] ?? 1).toFixed(3)}]: ${b.patterns}/${b.maxPatterns} patterns, ${mib(b.bytes)}, ${b.evictions} evicted`,
      ),
      `snapshot     ${s.snapshot === null ? 'none yet' : `${mib(s.snapshot.bytes)} from ${s.snapshot.createdAt}, then journal ${s.snapshot.generation}`}`,
      `journal      generation ${s.journalGeneration}: ${s.journalRecords} records, ${mib(s.journalBytes)}${s.droppedTailBytes > 0 ? ` (+ a torn tail of ${s.droppedTailBytes} bytes, never acknowledged, dropped at the next start)` : ''}`,
    ];
    io.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};
