import { SeededRng, createLora, loraFromFactors } from '@microlora/core';
import { createJsBackend } from '@microlora/simd';
import { WASM_MODULE_BYTE_LENGTH, createWasmBackend } from '@microlora/simd-wasm';
import { formatNs, machineDescription, timeOp } from '../harness.js';
import type { BenchSuite } from '../harness.js';

/**
 * The wasm backend's two ways in: arguments already in WASM memory (arena blocks and
 * uploaded adapters: no copies) and plain typed arrays (staged by memcpy, adapters served
 * from the cache), against the pure-JS backend.
 */
export const simdWasmArenaSuite: BenchSuite = {
  name: 'simd-wasm-arena',
  quick: true,
  async run(ctx) {
    const rng = new SeededRng(3);
    const wasm = createWasmBackend();
    const js = createJsBackend();
    const base = createLora({ rank: 2, inFeatures: 768, outFeatures: 768, seed: 11 });
    const lora = loraFromFactors({ ...base, b: rng.fillNormal(new Float32Array(2 * 768), 0.02) });
    const x = rng.fillNormal(new Float32Array(768));
    const other = rng.fillNormal(new Float32Array(768));
    const y = new Float32Array(768);
    const q = Int8Array.from({ length: 3072 }, () => rng.int(256) - 128);
    const deq = new Float32Array(3072);

    const arena = wasm.arena;
    const handle = arena.uploadLora(lora);
    const xBlock = arena.allocF32(768);
    const yBlock = arena.allocF32(768);
    const otherBlock = arena.allocF32(768);
    const qBlock = arena.allocI8(3072);
    const deqBlock = arena.allocF32(3072);
    xBlock.array.set(x);
    otherBlock.array.set(other);
    qBlock.array.set(q);
    // block.array is read at each call, as the README asks: an allocation anywhere may grow
    // the memory and detach arrays read earlier (the getter is a field compare when it did not).
    const cases: [string, string, () => unknown][] = [
      ['loraApply 768 r2', 'wasm, handle + arena x/y', () => wasm.loraApply(handle, xBlock.array, yBlock.array, 1e-3)],
      ['loraApply 768 r2', 'wasm, cached adapter + arena x/y', () => wasm.loraApply(lora, xBlock.array, yBlock.array, 1e-3)],
      ['loraApply 768 r2', 'wasm, cached adapter + JS x/y', () => wasm.loraApply(lora, x, y, 1e-3)],
      ['loraApply 768 r2', 'js', () => js.loraApply(lora, x, y, 1e-3)],
      ['dot 768', 'wasm, arena arrays', () => wasm.dot(xBlock.array, otherBlock.array)],
      ['dot 768', 'wasm, JS arrays (copied in)', () => wasm.dot(x, other)],
      ['dot 768', 'js', () => js.dot(x, other)],
      ['dequantizeI8 3072', 'wasm, arena arrays', () => wasm.dequantizeI8(qBlock.array, 0.01, deqBlock.array)],
      ['dequantizeI8 3072', 'wasm, JS arrays (copied)', () => wasm.dequantizeI8(q, 0.01, deq)],
      ['dequantizeI8 3072', 'js', () => js.dequantizeI8(q, 0.01, deq)],
    ];
    const rows: (string | number)[][] = [];
    const data: Record<string, { p50: number; p99: number }> = {};
    for (const [op, path, fn] of cases) {
      ctx.log(`${op}: ${path}`);
      const t = await timeOp(fn, ctx.full ? 500 : 200);
      data[`${op} · ${path}`] = { p50: t.p50, p99: t.p99 };
      rows.push([op, path, formatNs(t.p50), formatNs(t.p99)]);
    }
    return {
      tables: [
        {
          title: 'wasm backend: arguments in WASM memory vs plain typed arrays — per call',
          description:
            `${machineDescription()}. Kernels module ${WASM_MODULE_BYTE_LENGTH} bytes. ` +
            'Arena = blocks from backend.arena (no copies); JS arrays are staged into WASM memory by memcpy.',
          columns: ['op', 'path', 'p50', 'p99'],
          rows,
        },
      ],
      data: { moduleBytes: WASM_MODULE_BYTE_LENGTH, timings: data },
    };
  },
};
