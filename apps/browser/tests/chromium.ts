import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/** Debian's Chromium; never downloaded by these tests. */
export const CHROMIUM_PATH = process.env['MICROLORA_CHROMIUM'] ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Why the browser tests cannot run, or undefined when they can. On CI (process.env.CI)
 * a missing browser is a failure, not a skip: CI installs it.
 */
export function chromiumUnavailableReason(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  const reason = `Chromium not found at ${CHROMIUM_PATH} (install Debian's package: apt-get install chromium, or set MICROLORA_CHROMIUM)`;
  if (process.env['CI'] !== undefined && process.env['CI'] !== '' && process.env['CI'] !== 'false') {
    throw new Error(`${reason}; CI must provide it`);
  }
  return reason;
}

export async function freshUserDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'microlora-chromium-'));
}

/** A browser whose profile (localStorage, IndexedDB) lives in `userDataDir` and survives a relaunch. */
export function launchWithProfile(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1180, height: 820 },
  });
}

/** A throwaway browser: playwright gives it a fresh temporary profile (--user-data-dir) of its own. */
export function launchFresh(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}
