import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { once } from 'node:events';
import { patternToJsonLine } from '../../pattern-json.js';
import { syncDirectory } from '@microlora/bank/node';
import { PatternStore } from '../../store/pattern-store.js';
import type { Command } from '../command.js';
import { withQuiet } from '../io.js';
import { dataDirFrom, parseCommandLine } from '../options.js';

export const exportCommand: Command = {
  name: 'export',
  summary: 'write every stored pattern as JSONL (stdout, or --out FILE)',
  help: `Usage: microlora export [--out FILE] [options]

Writes every stored pattern as one JSON line (id, embedding, timestepRange, lora in
the int8 JSON codec, metrics): the format \`microlora import\` reads. Reads the data
directory without locking it, so a running server may keep serving; patterns it
stores meanwhile may be missing from the export.

Options:
  --out FILE            write to FILE atomically instead of stdout
  --data-dir DIR        data directory (default $MICROLORA_DATA_DIR or ./microlora-data)
  --quiet               no progress bar
  -h, --help            this help`,
  async run(args, baseIo) {
    const { values } = parseCommandLine(args, {
      out: { type: 'string' },
      'data-dir': { type: 'string' },
      quiet: { type: 'boolean' },
    });
    const io = withQuiet(baseIo, values.quiet);
    const store = await PatternStore.open(dataDirFrom(values['data-dir']), { readOnly: true, progress: io.progress });
    const patterns = store.micro.manager.patterns();
    await store.close();
    const bar = io.progress('exporting', patterns.length);
    const out = values.out;
    if (out === undefined) {
      for (const [i, pattern] of patterns.entries()) {
        io.stdout.write(`${patternToJsonLine(pattern)}\n`);
        if ((i & 255) === 255) bar.update(i + 1);
      }
      bar.update(patterns.length);
      bar.finish();
      return 0;
    }
    const temporary = join(dirname(out), `.${basename(out)}.${process.pid}.tmp`);
    const stream = createWriteStream(temporary, { flags: 'wx', mode: 0o644 });
    try {
      for (const [i, pattern] of patterns.entries()) {
        if (!stream.write(`${patternToJsonLine(pattern)}\n`)) await once(stream, 'drain');
        if ((i & 255) === 255) bar.update(i + 1);
      }
      stream.end();
      await once(stream, 'finish');
      await new Promise<void>((resolve, reject) => stream.close((error) => (error ? reject(error) : resolve())));
      await rename(temporary, out);
      await syncDirectory(dirname(out));
    } catch (cause) {
      stream.destroy();
      await unlink(temporary).catch(() => undefined);
      throw cause;
    }
    bar.update(patterns.length);
    bar.finish(`written to ${out}`);
    return 0;
  },
};
