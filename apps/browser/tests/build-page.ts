import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type InlineConfig } from 'vite';

export const APP_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Builds a page with Vite's JS API into a fresh temporary directory and returns it.
 * NODE_ENV is 'production' during the build, as under `vite build` (vitest sets 'test').
 */
export async function buildInto(config: InlineConfig, prefix: string): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), prefix));
  const nodeEnv = process.env['NODE_ENV'];
  process.env['NODE_ENV'] = 'production';
  try {
    await build({ logLevel: 'warn', ...config, build: { ...config.build, outDir, emptyOutDir: true } });
  } finally {
    if (nodeEnv === undefined) delete process.env['NODE_ENV'];
    else process.env['NODE_ENV'] = nodeEnv;
  }
  return outDir;
}

/** The app exactly as `vite build` makes it (its vite.config.ts), into a temporary directory. */
export function buildApp(): Promise<string> {
  return buildInto({ root: APP_ROOT, configFile: join(APP_ROOT, 'vite.config.ts') }, 'microlora-app-');
}
