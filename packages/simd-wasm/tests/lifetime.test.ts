import { describe, expect, it } from 'vitest';
import { SeededRng, loraFromFactors } from '@microlora/core';
import type { LoraWeights } from '@microlora/core';
import { createWasmBackend } from '@microlora/simd-wasm';
import type { WasmSimdOps } from '@microlora/simd-wasm';

// vitest.config.ts starts the workers with --expose-gc.
const gc = (globalThis as { gc?: () => void }).gc;

/** Collects garbage until `done()` holds (FinalizationRegistry callbacks run in later tasks). */
async function collectUntil(done: () => boolean): Promise<boolean> {
  for (let i = 0; i < 50 && !done(); i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return done();
}

function randomLora(rng: SeededRng): LoraWeights {
  return loraFromFactors({
    rank: 2,
    inFeatures: 256,
    outFeatures: 256,
    a: rng.fillUniform(new Float32Array(512), -1, 1),
    b: rng.fillUniform(new Float32Array(512), -1, 1),
  });
}

function applyThrowaways(wasm: WasmSimdOps, count: number): void {
  const rng = new SeededRng(1);
  const x = rng.fillUniform(new Float32Array(256), -1, 1);
  for (let i = 0; i < count; i++) wasm.loraApply(randomLora(rng), x, new Float32Array(256));
}

function dropBlocksAndHandles(wasm: WasmSimdOps): void {
  wasm.arena.allocF32(1000);
  wasm.arena.allocI8(1000);
  wasm.arena.uploadLora(randomLora(new SeededRng(2)));
}

describe.runIf(gc !== undefined)('memory returns when its owner is garbage-collected', () => {
  it('cached copies of plain-API adapters are freed when the adapters are', async () => {
    const wasm = createWasmBackend();
    applyThrowaways(wasm, 20);
    expect(wasm.memoryStats().cachedAdapters).toBe(20);
    expect(await collectUntil(() => wasm.memoryStats().cachedAdapters === 0)).toBe(true);
    expect(wasm.memoryStats().cachedAdapterBytes).toBe(0);
  });

  it('blocks and handles dropped without free() are freed', async () => {
    const wasm = createWasmBackend();
    const baseline = wasm.memoryStats().bytesInUse;
    dropBlocksAndHandles(wasm);
    expect(wasm.memoryStats().bytesInUse).toBeGreaterThan(baseline);
    expect(await collectUntil(() => wasm.memoryStats().bytesInUse === baseline)).toBe(true);
  });

  it('a block stays allocated while only its array is kept', async () => {
    const wasm = createWasmBackend();
    const baseline = wasm.memoryStats().bytesInUse;
    const kept = ((): Float32Array => {
      const block = wasm.arena.allocF32(64);
      block.array.fill(7);
      return block.array;
    })();
    dropBlocksAndHandles(wasm); // garbage that must go, so the wait below is not vacuous
    await collectUntil(() => wasm.memoryStats().bytesInUse === baseline + 256);
    expect(wasm.memoryStats().bytesInUse).toBe(baseline + 256);
    wasm.arena.allocF32(64).array.fill(-1); // would reuse the block's space if it had been freed
    expect(Array.from(kept)).toEqual(new Array(64).fill(7));
  });
});
