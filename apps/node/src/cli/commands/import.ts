import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { isMicroLoraError } from 'microlora';
import { patternJsonSchema, preparePattern } from '../../pattern-json.js';
import { PatternStore, type InsertOutcome, type PreparedPattern } from '../../store/pattern-store.js';
import type { Command } from '../command.js';
import { withQuiet } from '../io.js';
import { STORE_CONFIG_HELP, STORE_CONFIG_OPTIONS, bytesOption, dataDirFrom, integerOption, parseCommandLine, storeConfigFrom } from '../options.js';
import { UsageError } from '../usage-error.js';

interface PendingLine {
  line: number;
  pattern: PreparedPattern;
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ');
}

export const importCommand: Command = {
  name: 'import',
  summary: 'bulk-import patterns from a JSONL file (or - for stdin)',
  help: `Usage: microlora import <file|-> [options]

Imports patterns, one JSON object per line:
  {"id": "…", "query": "text" | "embedding": [numbers], "timestepRange": [0, 1],
   "lora": <adapter>, "metrics": {…}}
where <adapter> is the int8 JSON codec of @microlora/quantization (object or text)
or {"format": "microlora/lora-f32", …} (see README). id, timestepRange (default
[0, 1]) and metrics are optional. \`microlora export\` writes this format.
Patterns are journaled in batches, each fsynced; stop the server on the same
data directory first. An invalid line stops the import (the lines before it
stay imported) unless --skip-invalid.

Options:
  --data-dir DIR        data directory (default $MICROLORA_DATA_DIR or ./microlora-data)
  --replace             overwrite patterns whose id is already stored (default: error)
  --skip-invalid        report invalid lines on stderr and go on
  --batch N             patterns per journal fsync (default 256)
  --snapshot-bytes SIZE journal size that triggers a snapshot (default 64mb)
  --quiet               no progress bar
  -h, --help            this help
${STORE_CONFIG_HELP}`,
  async run(args, baseIo) {
    const { values, positionals } = parseCommandLine(
      args,
      {
        'data-dir': { type: 'string' },
        replace: { type: 'boolean' },
        'skip-invalid': { type: 'boolean' },
        batch: { type: 'string' },
        'snapshot-bytes': { type: 'string' },
        quiet: { type: 'boolean' },
        ...STORE_CONFIG_OPTIONS,
      },
      true,
    );
    if (positionals.length !== 1) throw new UsageError(`give exactly one input: a JSONL file, or - for stdin (got ${positionals.length})`);
    const io = withQuiet(baseIo, values.quiet);
    const source = positionals[0] as string;
    const batchSize = integerOption('batch', values.batch, 1, 10_000) ?? 256;
    const snapshotBytes = bytesOption('snapshot-bytes', values['snapshot-bytes'], 1, 2 ** 40);
    const replace = values.replace ?? false;
    const skipInvalid = values['skip-invalid'] ?? false;

    let input: Readable;
    let totalBytes: number | undefined;
    if (source === '-') {
      input = io.stdin;
    } else {
      try {
        totalBytes = (await stat(source)).size;
      } catch (cause) {
        throw new UsageError(`cannot read ${source}: ${oneLine(cause)}`);
      }
      input = createReadStream(source);
    }

    const store = await PatternStore.open(dataDirFrom(values['data-dir']), {
      config: storeConfigFrom(values),
      ...(snapshotBytes === undefined ? {} : { snapshotBytes }),
      progress: io.progress,
      log: (message) => io.stderr.write(`microlora: ${message}\n`),
    });
    const schema = patternJsonSchema(store.config.dimension);
    const bar = io.progress(`importing ${source === '-' ? 'stdin' : source}`, totalBytes, totalBytes === undefined ? 'items' : 'bytes');
    let imported = 0;
    let replaced = 0;
    let evicted = 0;
    let skipped = 0;
    let bytesRead = 0;
    let lineNumber = 0;
    let pending: PendingLine[] = [];

    const invalid = (line: number, error: unknown): void => {
      const message = `line ${line}: ${oneLine(error)}`;
      if (!skipInvalid) throw new Error(`${message} (${imported} patterns before it were imported; --skip-invalid goes on past such lines)`);
      skipped++;
      io.stderr.write(`microlora: skipped ${message}\n`);
    };
    const count = (outcome: InsertOutcome): void => {
      imported += outcome.inserted.length;
      replaced += outcome.inserted.filter((p) => p.replaced).length;
      evicted += outcome.evictedIds.length;
    };
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      const batch = pending;
      pending = [];
      try {
        count(await store.insertPatterns(batch.map((p) => p.pattern), { replace }));
      } catch (error) {
        if (!isMicroLoraError(error) || error.code === 'IO_ERROR' || error.details.inserted !== undefined) throw error;
        // The batch was refused whole (nothing stored): store line by line to name the culprit.
        for (const item of batch) {
          try {
            count(await store.insertPatterns([item.pattern], { replace }));
          } catch (lineError) {
            if (!isMicroLoraError(lineError) || lineError.code === 'IO_ERROR') throw lineError;
            invalid(item.line, lineError);
          }
        }
      }
    };

    try {
      const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
      for await (const text of lines) {
        lineNumber++;
        bytesRead += Buffer.byteLength(text) + 1;
        if (text.trim().length === 0) continue;
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch (error) {
          invalid(lineNumber, `not valid JSON (${oneLine(error)})`);
          continue;
        }
        const result = schema.safeParse(parsed);
        if (!result.success) {
          const issue = result.error.issues[0];
          invalid(lineNumber, `${issue?.path.map(String).join('.') || '(line)'}: ${issue?.message ?? 'invalid'}`);
          continue;
        }
        try {
          pending.push({ line: lineNumber, pattern: preparePattern(result.data, store.micro) });
        } catch (error) {
          invalid(lineNumber, error);
          continue;
        }
        if (pending.length >= batchSize) {
          await flush();
          bar.update(totalBytes === undefined ? imported : Math.min(bytesRead, totalBytes));
        }
      }
      await flush();
      bar.update(totalBytes === undefined ? imported : Math.min(bytesRead, totalBytes));
      bar.finish(`${imported} patterns`);
    } finally {
      await store.close();
    }
    io.stdout.write(
      `imported ${imported} patterns (${replaced} replaced, ${evicted} evicted, ${skipped} invalid lines skipped) into ${store.directory}; it holds ${store.micro.stats().patterns} patterns\n`,
    );
    return 0;
  },
};
