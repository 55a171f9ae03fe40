import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { APP_ROOT, buildInto } from './build-page.js';
import { chromiumUnavailableReason, launchFresh } from './chromium.js';
import { serveStatic } from './static-server.js';

const PAGE = join(APP_ROOT, 'tests', 'pages', 'readme-example');
const missing = chromiumUnavailableReason(); // throws on CI when Chromium is absent
if (missing !== undefined) console.warn(`skipping the README example test: ${missing}`);

/** The example's lines as the README shows them (the page's last line only flags completion). */
async function exampleLines(): Promise<string[]> {
  const source = await readFile(join(PAGE, 'main.ts'), 'utf8');
  return source.trimEnd().split('\n').filter((line) => !line.startsWith('document.body.dataset'));
}

describe('README example', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('is in the README verbatim', async () => {
    const readme = await readFile(join(APP_ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(['```ts', ...(await exampleLines()), '```'].join('\n'));
  });

  it.skipIf(missing !== undefined)('prints what its comments say, in Chromium', async () => {
    const outDir = await buildInto({ root: PAGE, configFile: false, build: { chunkSizeWarningLimit: 1200 } }, 'microlora-readme-example-');
    cleanup.push(() => rm(outDir, { recursive: true, force: true }));
    const server = await serveStatic(outDir);
    cleanup.push(() => server.close());
    const browser = await launchFresh();
    cleanup.push(() => browser.close());
    const page = await browser.newPage();
    const logged: string[] = [];
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
      else if (message.type() === 'log' && !/jsFS|EmscriptenFileSystemManager|sync|syncfs/.test(message.text())) logged.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    const failed = new Promise<never>((_, reject) => page.once('pageerror', reject));
    await page.goto(`${server.url}/`);
    await Promise.race([page.waitForFunction(() => document.body.dataset['ready'] === 'true', null, { timeout: 60_000 }), failed]);
    expect(errors).toEqual([]);
    // The values each console.log's comment promises.
    const promised = (await exampleLines()).filter((l) => l.startsWith('console.log')).map((l) => l.split('// ')[1]!.split(' (')[0]!);
    expect(logged).toEqual(promised);
  });
});
