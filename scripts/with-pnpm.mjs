#!/usr/bin/env node
// Runs pnpm (the pinned version) on a machine that has only Node and npm,
// installing the workspace first when node_modules is missing or stale.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PNPM_VERSION = '10.34.9';

// No telemetry from turbo: this machine class reaches only the package registries.
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };

function run(cmd, args) {
  const result = spawnSync(cmd, args, { cwd: root, env, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function pnpmCommand() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8', shell: process.platform === 'win32' });
  if (probe.status === 0 && probe.stdout.trim() === PNPM_VERSION) return ['pnpm', []];
  return ['npx', ['-y', `pnpm@${PNPM_VERSION}`]];
}

function installIsStale() {
  const marker = join(root, 'node_modules', '.modules.yaml');
  if (!existsSync(marker)) return true;
  const installedAt = statSync(marker).mtimeMs;
  return ['pnpm-lock.yaml', 'package.json', 'pnpm-workspace.yaml'].some(
    (f) => existsSync(join(root, f)) && statSync(join(root, f)).mtimeMs > installedAt,
  );
}

const [cmd, prefix] = pnpmCommand();
if (installIsStale()) {
  const frozen = process.env.CI ? ['--frozen-lockfile'] : [];
  const status = run(cmd, [...prefix, 'install', ...frozen]);
  if (status !== 0) process.exit(status);
}
process.exit(run(cmd, [...prefix, ...process.argv.slice(2)]));
