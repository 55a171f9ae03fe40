import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { APP_ROOT, buildApp } from './build-page.js';
import { chromiumUnavailableReason, freshUserDataDir, launchWithProfile } from './chromium.js';
import { serveStatic, type StaticServer } from './static-server.js';

const SCREENSHOT = join(APP_ROOT, 'test-artifacts', 'e2e.png');
const missing = chromiumUnavailableReason(); // throws on CI when Chromium is absent
if (missing !== undefined) console.warn(`skipping the Chromium end-to-end test: ${missing}`);

/** Queries rated in order; each topic's seed patterns make the head pick the expected style. */
const SCRIPT = [
  { query: 'easy pasta recipe with tomatoes and basil for dinner', style: 'step-by-step', verdict: 'up' },
  { query: 'python function to read a csv file into dicts', style: 'concise', verdict: 'down' },
  { query: 'write a polite letter to my landlord about the broken heating', style: 'formal', verdict: 'up' },
  { query: 'what should I pack for a hiking weekend in the mountains', style: 'friendly', verdict: 'down' },
] as const;

interface Snapshot {
  backend: string;
  index: string;
  rank: string;
  params: string;
  memory: string;
  samples: string;
  avg: string;
  crc: string;
  patterns: string;
  chartPoints: string | undefined;
  dots: { up: number; down: number };
}

async function snapshot(page: Page): Promise<Snapshot> {
  return page.evaluate(() => {
    const text = (id: string): string => document.querySelector(`[data-testid="${id}"]`)?.textContent ?? '';
    const chart = document.querySelector<SVGSVGElement>('[data-testid="quality-chart"]');
    return {
      backend: text('stat-backend'),
      index: text('stat-index'),
      rank: text('stat-rank'),
      params: text('stat-params'),
      memory: text('stat-memory'),
      samples: text('stat-samples'),
      avg: text('stat-avg'),
      crc: text('stat-crc'),
      patterns: text('stat-patterns'),
      chartPoints: chart?.dataset['points'],
      dots: { up: chart?.querySelectorAll('circle.up').length ?? 0, down: chart?.querySelectorAll('circle.down').length ?? 0 },
    };
  });
}

async function restoreStates(page: Page): Promise<Record<string, string | undefined>> {
  return page.evaluate(() =>
    Object.fromEntries(Array.from(document.querySelectorAll<HTMLElement>('[data-testid="restore-notes"] li'), (li) => [li.dataset['part'] ?? '', li.dataset['state']])),
  );
}

/** Loads (or reloads) the page and waits until it has restored its state. */
async function ready(page: Page, load: () => Promise<unknown>): Promise<void> {
  await load();
  await page.waitForFunction(() => document.body.dataset['ready'] === 'true' || document.body.dataset['bootError'] !== undefined, null, { timeout: 60_000 });
  const bootError = await page.evaluate(() => document.body.dataset['bootError']);
  expect(bootError, 'the page failed to start').toBeUndefined();
}

async function savesSettled(page: Page): Promise<void> {
  await page.waitForSelector('[data-testid="save-status"][data-busy="false"]', { timeout: 30_000 });
  const error = await page.locator('[data-testid="save-status"].error').count();
  expect(error, await page.locator('[data-testid="save-status"]').innerText()).toBe(0);
}

/** Waits until the tfjs row has settled and returns it: webgl with a matching re-score, or why not. */
async function tfjsRow(page: Page): Promise<{ state: string | undefined; text: string }> {
  await page.waitForSelector('[data-testid="stat-tfjs"]:not([data-state="loading"])', { timeout: 30_000 });
  const row = page.locator('[data-testid="stat-tfjs"]');
  const settled = { state: (await row.getAttribute('data-state')) ?? undefined, text: await row.innerText() };
  console.log(`e2e: tfjs backend row: ${settled.state} — ${settled.text}`);
  expect(settled.text).toMatch(/^(webgl .+|unavailable: .+)$/);
  expect(['agrees', 'idle', 'unavailable']).toContain(settled.state);
  return settled;
}

function watchErrors(page: Page, errors: string[]): void {
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
  });
}

describe.skipIf(missing !== undefined)('the browser app in real Chromium', () => {
  let server: StaticServer | undefined;
  let context: BrowserContext | undefined;
  const scratch: string[] = [];
  const started = Date.now();

  beforeAll(async () => {
    const outDir = await buildApp();
    scratch.push(outDir);
    server = await serveStatic(outDir);
  });

  afterAll(async () => {
    await context?.close();
    await server?.close();
    await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
    console.log(`e2e: ${((Date.now() - started) / 1000).toFixed(1)} s including the Vite build`);
  });

  it('rates responses, then restores adapter, patterns and chart after a reload and a browser restart', async () => {
    const url = `${server!.url}/`;
    const profile = await freshUserDataDir();
    scratch.push(profile);
    const errors: string[] = [];
    context = await launchWithProfile(profile);
    let page = context.pages()[0] ?? (await context.newPage());
    watchErrors(page, errors);

    // First visit: nothing stored; WASM SIMD backend and hnswlib-wasm index are live.
    await ready(page, () => page.goto(url));
    expect(await restoreStates(page)).toEqual({ adapter: 'fresh', session: 'fresh', patterns: 'fresh' });
    const initial = await snapshot(page);
    expect(initial).toMatchObject({ backend: 'wasm', index: 'hnswlib-wasm (12 vectors)', rank: '2', params: '3,072', samples: '0', avg: '0.000', patterns: '12', chartPoints: '0' });
    expect(initial.memory).toMatch(/^[\d,]+ bytes$/);
    await savesSettled(page); // the seeded patterns are stored once
    const firstTfjs = await tfjsRow(page);
    if (firstTfjs.state !== 'unavailable') expect(firstTfjs.text).toMatch(/^webgl \(ready in \d+ ms; no history/);

    for (const [i, step] of SCRIPT.entries()) {
      await page.fill('[data-testid="query"]', step.query);
      await page.click('[data-testid="send"]');
      const response = page.locator('[data-testid="response"]').nth(i);
      await response.waitFor();
      expect(await response.getAttribute('data-style'), step.query).toBe(step.style);
      await response.locator(`[data-testid="rate-${step.verdict}"]`).click();
      await expect.poll(() => response.getAttribute('data-rated')).toBe(step.verdict);
    }
    await savesSettled(page);
    const rated = await snapshot(page);
    expect(rated).toMatchObject({ samples: '4', avg: '0.500', patterns: '14', index: 'hnswlib-wasm (14 vectors)', chartPoints: '4', dots: { up: 2, down: 2 } });
    expect(rated.crc).not.toBe(initial.crc);
    // Each rating re-scores the history on tfjs-webgl (when it is there), checked against wasm.
    const ratedTfjs = await tfjsRow(page);
    if (ratedTfjs.state !== 'unavailable') expect(ratedTfjs.text).toMatch(/^webgl · 4 rows in [\d.]+ ms · matches wasm \(rel\. err /);
    expect(await page.locator('[data-testid="response"] button:disabled').count()).toBe(2 * SCRIPT.length);

    // Reload: the same profile's localStorage and IndexedDB give everything back.
    await ready(page, () => page.reload());
    expect(await restoreStates(page)).toEqual({ adapter: 'restored', session: 'restored', patterns: 'restored' });
    expect(await snapshot(page)).toEqual(rated);
    expect(await page.locator('[data-testid="past-response"]').count()).toBe(SCRIPT.length);
    const restoredTfjs = await tfjsRow(page); // a restored history is re-scored on load
    expect(restoredTfjs.state).toBe(ratedTfjs.state);
    if (restoredTfjs.state !== 'unavailable') expect(restoredTfjs.text).toMatch(/^webgl · 4 rows in /);

    // Browser restart on the same profile: still there (IndexedDB and localStorage hit the disk).
    await context.close();
    context = await launchWithProfile(profile);
    page = context.pages()[0] ?? (await context.newPage());
    watchErrors(page, errors);
    await ready(page, () => page.goto(url));
    expect(await restoreStates(page)).toEqual({ adapter: 'restored', session: 'restored', patterns: 'restored' });
    expect(await snapshot(page)).toEqual(rated);

    // The harvested pattern now answers the liked query first; leave that response on screen.
    await page.fill('[data-testid="query"]', SCRIPT[0].query);
    await page.click('[data-testid="send"]');
    const again = page.locator('[data-testid="response"]').last();
    await again.waitFor();
    expect(await again.locator('header .meta').innerText()).toMatch(/^adapter from liked-0 /);

    await mkdir(join(APP_ROOT, 'test-artifacts'), { recursive: true });
    await rm(SCREENSHOT, { force: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(errors).toEqual([]);
  });
});
