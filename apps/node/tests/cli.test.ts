import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { encodeJson } from 'microlora';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run-cli.js';
import { encodeF32LoraJson } from '../src/lora-json.js';
import { silentProgress } from '../src/progress.js';
import { PatternStore } from '../src/store/pattern-store.js';
import { SMALL, compressedLora, removeTempDirs, tempDir, trainedLora } from './helpers.js';

afterAll(removeTempDirs);

const HIDDEN = SMALL.hiddenSize as number;
const SMALL_FLAGS = ['--dimension', String(SMALL.dimension), '--hidden-size', String(HIDDEN), '--index', 'exact'];

async function cli(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    stdin: Readable.from([stdin]),
    progress: silentProgress,
  });
  return { code, stdout, stderr };
}

function line(i: number): string {
  return JSON.stringify({
    id: `imp-${i}`,
    query: `imported topic ${i} with words ${i * 7}`,
    timestepRange: [0, i % 2 === 0 ? 1 : 0.5],
    lora: i % 3 === 0 ? encodeF32LoraJson(trainedLora(HIDDEN, i)) : JSON.parse(encodeJson(compressedLora(HIDDEN, i))),
    ...(i === 1 ? { metrics: { successRate: 0.9, usageCount: 4 } } : {}),
  });
}

describe('microlora CLI', () => {
  it('prints help with exit 0, and one-line errors with exit 2', async () => {
    expect(await cli(['--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('Commands:') });
    for (const name of ['demo', 'generate', 'serve', 'import', 'export', 'stats', 'bench']) {
      const help = await cli([name, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: microlora ${name}`));
    }
    const cases: [string[], RegExp][] = [
      [[], /Usage: microlora <command>/],
      [['frobnicate'], /unknown command "frobnicate"/],
      [['serve', '--port', 'eighty'], /--port must be an integer in \[0, 65535\], got "eighty"/],
      [['serve', '--nope'], /Unknown option '--nope'/],
      [['serve', '--max-body', '12 parsecs'], /--max-body must be a size/],
      [['serve', '--index', 'fuzzy'], /--index must be fast or exact/],
      [['import'], /give exactly one input/],
      [['import', '/definitely/not/here.jsonl'], /cannot read \/definitely\/not\/here.jsonl/],
      [['stats', '--data-dir', '/definitely/not/here'], /there is no data directory/],
      [['bench', '--duration', '0'], /--duration must be an integer in \[1, 3600\]/],
    ];
    for (const [args, message] of cases) {
      const result = await cli(args);
      expect(result.code, args.join(' ')).toBe(2);
      if (args.length > 0) expect(result.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
      expect(result.stderr).toMatch(message);
    }
  });

  it('imports JSONL from a file and stdin, exports it back, and reports stats', async () => {
    const dir = await tempDir();
    const file = join(dir, 'patterns.jsonl');
    await writeFile(file, `${[0, 1, 2, 3].map(line).join('\n')}\n\n`);
    const first = await cli(['import', file, '--data-dir', join(dir, 'store'), ...SMALL_FLAGS]);
    expect(first).toMatchObject({ code: 0, stdout: expect.stringMatching(/^imported 4 patterns \(0 replaced, 0 evicted, 0 invalid lines skipped\)/) });
    const second = await cli(['import', '-', '--data-dir', join(dir, 'store')], `${line(4)}\r\n${line(5)}`);
    expect(second.stdout).toMatch(/^imported 2 patterns .* it holds 6 patterns/);

    const out = join(dir, 'export.jsonl');
    expect((await cli(['export', '--data-dir', join(dir, 'store'), '--out', out])).code).toBe(0);
    const exported = (await readFile(out, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as { id: string; metrics: { successRate: number } });
    expect(exported.map((p) => p.id).sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `imp-${i}`));
    expect(exported.find((p) => p.id === 'imp-1')?.metrics.successRate).toBe(0.9);

    // The export re-imports into a fresh directory as the same patterns, bit for bit.
    const copy = join(dir, 'copy');
    expect((await cli(['import', out, '--data-dir', copy, ...SMALL_FLAGS])).code).toBe(0);
    const a = await PatternStore.open(join(dir, 'store'), { readOnly: true });
    const b = await PatternStore.open(copy, { readOnly: true });
    for (const p of a.micro.manager.patterns()) {
      const q = b.micro.manager.get(p.id);
      expect(q?.metrics).toEqual(p.metrics);
      expect(Array.from(q?.embedding ?? [])).toEqual(Array.from(p.embedding));
      expect(encodeJson(q!.lora)).toBe(encodeJson(p.lora));
    }
    const stdoutExport = await cli(['export', '--data-dir', copy]);
    expect(stdoutExport.stdout.trimEnd().split('\n')).toHaveLength(6);

    const stats = await cli(['stats', '--data-dir', join(dir, 'store')]);
    expect(stats.stdout).toMatch(/patterns\s+6 /);
    const json = JSON.parse((await cli(['stats', '--json', '--data-dir', join(dir, 'store')])).stdout) as { microlora: { patterns: number }; store: { journalRecords: number } };
    expect(json.microlora.patterns).toBe(6);
    expect(json.store.journalRecords).toBe(6); // one record per pattern
  });

  it('stops at an invalid line naming it, or skips it with --skip-invalid', async () => {
    const dir = await tempDir();
    const store = join(dir, 'store');
    const file = join(dir, 'bad.jsonl');
    await writeFile(file, [line(0), line(1), '{"id": "broken"', line(2), JSON.stringify({ query: 'x', lora: { format: 'nope' } }), line(0)].join('\n'));
    const stopped = await cli(['import', file, '--data-dir', store, '--batch', '1', ...SMALL_FLAGS]);
    expect(stopped.code).toBe(2);
    expect(stopped.stderr).toMatch(/^microlora import: error: line 3: not valid JSON .*\(2 patterns before it were imported/);

    const skipping = await cli(['import', file, '--data-dir', store, '--skip-invalid', '--replace', '--batch', '2']);
    expect(skipping.code).toBe(0);
    expect(skipping.stderr).toMatch(/skipped line 3: not valid JSON/);
    expect(skipping.stderr).toMatch(/skipped line 5: lora: /);
    expect(skipping.stdout).toMatch(/^imported 4 patterns \(3 replaced, 0 evicted, 2 invalid lines skipped\)/);

    // Without --replace, an id already stored is an invalid line found by retrying the batch line by line.
    const duplicate = await cli(['import', file, '--data-dir', store, '--skip-invalid']);
    expect(duplicate.stderr).toMatch(/skipped line 1: .*already stored/);
    expect(duplicate.stdout).toMatch(/^imported 0 patterns/);
  });

  it('refuses settings that contradict the data directory', async () => {
    const dir = await tempDir();
    const file = join(dir, 'p.jsonl');
    await writeFile(file, line(0));
    expect((await cli(['import', file, '--data-dir', join(dir, 's'), ...SMALL_FLAGS])).code).toBe(0);
    const clash = await cli(['import', file, '--data-dir', join(dir, 's'), '--hidden-size', '768']);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/was created with hiddenSize 32, not 768/);
  });
});
