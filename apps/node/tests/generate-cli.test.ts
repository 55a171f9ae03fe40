import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run-cli.js';
import { silentProgress } from '../src/progress.js';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    stdin: Readable.from(['']),
    progress: silentProgress,
  });
  return { code, stdout, stderr };
}

interface Printed {
  text: string;
  fullText: string;
  tokensGenerated: number;
  dgrRetrievals: number;
  steps: { dgr: boolean }[];
}

describe('microlora generate (the pretrained model)', () => {
  it('prints the generated text, then its length and latency', async () => {
    const result = await cli(['generate', 'dog:', '--steps', '4', '--max-new', '10', '--seed', '3']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toHaveLength(10);
    expect(lines[1]).toMatch(/^10 characters in \d+ ms \(4 steps, [0-2] DGR retrievals, \d+ patterns; model loaded in \d+ ms\)$/);
    expect(lines[2]).toBe('');

    const json = await cli(['generate', 'dog:', '--steps', '4', '--max-new', '10', '--seed', '3', '--json']);
    expect(json.code).toBe(0);
    const printed = JSON.parse(json.stdout) as Printed;
    expect(printed.text).toBe(lines[0]);
    expect(printed.fullText).toBe(`dog:${lines[0]}`);
    expect([printed.tokensGenerated, printed.steps.length]).toEqual([10, 4]);
  });

  it('turns denoising-guided retrieval off with --no-dgr, and cuts the default length to fit', async () => {
    const result = await cli(['generate', 'w'.repeat(40), '--no-dgr', '--steps', '3', '--json']);
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as Printed;
    expect(printed.dgrRetrievals).toBe(0);
    expect(printed.steps.map((s) => s.dgr)).toEqual([false, false, false]);
    expect(printed.tokensGenerated).toBe(24);
  });

  it('reports bad arguments in one line with exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['generate'], /give exactly one query, quoted \(got 0 arguments\)/],
      [['generate', 'dog', 'cat'], /give exactly one query, quoted \(got 2 arguments\)/],
      [['generate', 'q'.repeat(64)], /the query must have 1–63 characters, got 64/],
      [['generate', ''], /the query must have 1–63 characters, got 0/],
      [['generate', 'dog:', '--steps', '0'], /--steps must be an integer in \[1, 64\], got "0"/],
      [['generate', 'dog:', '--max-new', '64'], /--max-new must be an integer in \[1, 63\]/],
      [['generate', 'dog:', '--temperature=-1'], /--temperature must be a number in \[0, 1000\]/],
      [['generate', 'dog:', '--dgr'], /Unknown option '--dgr'/],
      [['generate', 'z'.repeat(30), '--max-new', '40'], /maxNewTokens 40 does not fit after a 30-character query .* ask for at most 34/],
    ];
    for (const [args, message] of cases) {
      const result = await cli(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
      expect(result.stderr).toMatch(/^microlora generate: error: /);
      expect(result.stderr).toMatch(message);
    }
  });

  it('is listed in the main help', async () => {
    expect((await cli(['--help'])).stdout).toMatch(/^ {2}generate +continue a text with the pretrained diffusion model/m);
  });
});
