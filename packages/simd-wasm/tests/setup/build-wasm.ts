import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Generates src/generated/wasm-bytes.ts from asm/kernels.ts unless it is already up to date. */
export default function buildWasmIfStale(): void {
  const script = fileURLToPath(new URL('../../scripts/build-wasm.mjs', import.meta.url));
  try {
    execFileSync(process.execPath, [script, '--if-stale'], { stdio: 'inherit' });
  } catch (err) {
    throw new Error(
      'simd-wasm: could not generate src/generated/wasm-bytes.ts from asm/kernels.ts ' +
        `(run \`node scripts/build-wasm.mjs\` in packages/simd-wasm to see why): ${String(err)}`,
    );
  }
}
