#!/usr/bin/env node
// Compiles asm/kernels.ts and embeds the module in src/generated/wasm-bytes.ts (gitignored).
//   node scripts/build-wasm.mjs             always compile
//   node scripts/build-wasm.mjs --if-stale  only when the generated file is missing or stale
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { embedAssemblyScript, runEmbedCli } from '@microlora/wasm-build';

const options = {
  root: join(dirname(fileURLToPath(import.meta.url)), '..'),
  label: 'simd-wasm kernels',
  constPrefix: 'KERNELS',
  // -O3 with shrinkLevel 1: speed first, but small enough for the 4 KB limit. No runtime: the
  // kernels never allocate (the JS arena manages memory), so the stub runtime is tree-shaken away.
  flags: ['-O3', '--shrinkLevel', '1', '--runtime', 'stub', '--enable', 'simd', '--noAssert'],
  oversizeHint: 'browsers will need initWasmBackend() on the main thread',
};

export function buildWasm({ ifStale = false } = {}) {
  return embedAssemblyScript({ ...options, ifStale });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) runEmbedCli(options);
