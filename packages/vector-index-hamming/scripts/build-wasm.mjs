#!/usr/bin/env node
// Compiles asm/kernels.ts and embeds the module in src/generated/wasm-bytes.ts (gitignored).
//   node scripts/build-wasm.mjs             always compile
//   node scripts/build-wasm.mjs --if-stale  only when the generated file is missing or stale
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { embedAssemblyScript, runEmbedCli } from '@microlora/wasm-build';

const options = {
  root: join(dirname(fileURLToPath(import.meta.url)), '..'),
  label: 'vector-index-hamming kernels',
  constPrefix: 'HAMMING',
  // Speed first (-O3) but shrinkLevel 1 keeps the module under the 4 KB limit. The kernels never
  // allocate (src/arena.ts lays memory out), so the stub runtime is tree-shaken away.
  flags: ['-O3', '--shrinkLevel', '1', '--runtime', 'stub', '--enable', 'simd', '--noAssert', '--initialMemory', '1'],
  oversizeHint: 'browsers need `await initHammingKernels()` on the main thread',
};

export function buildWasm({ ifStale = false } = {}) {
  return embedAssemblyScript({ ...options, ifStale });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) runEmbedCli(options);
