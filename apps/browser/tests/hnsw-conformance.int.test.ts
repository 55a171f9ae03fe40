import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { APP_ROOT, buildInto } from './build-page.js';
import { chromiumUnavailableReason, launchFresh } from './chromium.js';
import type { HnswConformancePage } from './pages/hnsw-conformance/main.js';
import { serveStatic, type StaticServer } from './static-server.js';

const missing = chromiumUnavailableReason(); // throws on CI when Chromium is absent
if (missing !== undefined) console.warn(`skipping the hnswlib-wasm browser conformance test: ${missing}`);

/**
 * '@microlora/vector-index/conformance' is not a dependency of this app; resolve it the way
 * @microlora/vector-index-hnswlib-wasm (which depends on it) sees it, i.e. its built dist/.
 */
function conformanceEntry(): string {
  const fromApp = createRequire(join(APP_ROOT, 'package.json'));
  const adapter = fromApp.resolve('@microlora/vector-index-hnswlib-wasm/package.json');
  return createRequire(adapter).resolve('@microlora/vector-index/conformance');
}

type Probe = <K extends keyof HnswConformancePage>(page: Page, method: K, ...args: Parameters<HnswConformancePage[K]>) => ReturnType<HnswConformancePage[K]>;

const call: Probe = ((page: Page, method: string, ...args: unknown[]) =>
  page.evaluate(
    ([m, a]) => {
      const target = (window as unknown as { hnswConformance: Record<string, (...x: unknown[]) => unknown> }).hnswConformance;
      return target[m as string]!(...(a as unknown[]));
    },
    [method, args] as const,
  )) as Probe;

describe.skipIf(missing !== undefined)('@microlora/vector-index-hnswlib-wasm in real Chromium', () => {
  let server: StaticServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let outDir: string | undefined;
  const errors: string[] = [];

  beforeAll(async () => {
    const root = join(APP_ROOT, 'tests', 'pages', 'hnsw-conformance');
    outDir = await buildInto(
      { root, configFile: false, resolve: { alias: { '@microlora/vector-index/conformance': conformanceEntry() } }, build: { chunkSizeWarningLimit: 1200 } },
      'microlora-hnsw-conformance-',
    );
    server = await serveStatic(outDir);
    browser = await launchFresh();
    page = await browser.newPage();
    page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => document.body.dataset['ready'] === 'true', null, { timeout: 60_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (outDir !== undefined) await rm(outDir, { recursive: true, force: true });
  });

  it('passes every vectorIndexConformanceCases case (recall@10 ≥ 0.9)', async () => {
    const results = await call(page, 'runCases');
    const failed = results.filter((r) => r.status === 'failed');
    console.log(results.map((r) => `${r.status === 'passed' ? '✓' : r.status === 'failed' ? '✗' : '-'} ${r.name} (${r.ms.toFixed(0)} ms)${r.error === undefined ? '' : `: ${r.error}`}`).join('\n'));
    expect(results.length).toBeGreaterThan(10);
    expect(failed, failed.map((r) => `${r.name}: ${r.error}`).join('\n')).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('persist(name) survives a page reload and restore(name) gives the same index', async () => {
    const saved = await call(page, 'persistSample', 'conformance-probe');
    expect(saved.ids).toHaveLength(299);
    expect(saved.persisted).toContain('conformance-probe');
    await page.reload();
    await page.waitForFunction(() => document.body.dataset['ready'] === 'true', null, { timeout: 60_000 });
    const restored = await call(page, 'restoreSample', 'conformance-probe');
    expect(restored.ids).toEqual(saved.ids);
    expect(restored.hits).toEqual(saved.hits);
    expect(await call(page, 'restoreMissing', 'never-persisted')).toBe('NOT_FOUND');
    expect(await call(page, 'deleteSample', 'conformance-probe')).not.toContain('conformance-probe');
    expect(await call(page, 'restoreMissing', 'conformance-probe')).toBe('NOT_FOUND');
    expect(errors).toEqual([]);
  });
});
