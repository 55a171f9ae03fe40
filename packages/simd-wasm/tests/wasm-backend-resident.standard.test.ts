import { describe, it } from 'vitest';
import type { LoraWeights } from '@microlora/core';
import type { SimdOps } from '@microlora/simd';
import { simdConformanceCases } from '@microlora/simd/conformance';
import { createWasmBackend } from '@microlora/simd-wasm';
import type { WasmSimdOps } from '@microlora/simd-wasm';

type Vec = Float32Array | Int8Array;

/**
 * Runs each op on copies of its arguments placed in arena blocks, so the conformance suite
 * exercises the in-place (zero-copy) path: pointers taken from the views, no staging.
 * Results are copied back only when the op returns (a throwing op must not have written).
 */
function residentView(wasm: WasmSimdOps): SimdOps {
  const call = <R>(args: Vec[], run: (resident: Vec[]) => R): R => {
    const blocks = new Map<Vec, { array: Vec; free(): void }>();
    const resident = args.map((v) => {
      let block = blocks.get(v);
      if (!block) {
        block = v instanceof Int8Array ? wasm.arena.allocI8(v.length) : wasm.arena.allocF32(v.length);
        blocks.set(v, block);
      }
      return block;
    });
    try {
      // Views are read after every block exists: an allocation may have grown the memory.
      for (const [v, block] of blocks) block.array.set(v);
      const result = run(resident.map((b) => b.array));
      for (const [v, block] of blocks) v.set(block.array);
      return result;
    } finally {
      for (const block of blocks.values()) block.free();
    }
  };
  const loraIn = (lora: LoraWeights, a: Vec, b: Vec): LoraWeights => ({ ...lora, a: a as Float32Array, b: b as Float32Array });
  return {
    name: wasm.name,
    dot: (a, b) => call([a, b], ([ra, rb]) => wasm.dot(ra as Float32Array, rb as Float32Array)),
    axpy: (alpha, x, y) => call([x, y], ([rx, ry]) => wasm.axpy(alpha, rx as Float32Array, ry as Float32Array)),
    scale: (x, alpha, out) => call([x, out], ([rx, ro]) => wasm.scale(rx as Float32Array, alpha, ro as Float32Array)),
    lerp: (a, b, t, out) =>
      call([a, b, out], ([ra, rb, ro]) => wasm.lerp(ra as Float32Array, rb as Float32Array, t, ro as Float32Array)),
    softmax: (x, out) => call([x, out], ([rx, ro]) => wasm.softmax(rx as Float32Array, ro as Float32Array)),
    maxAbs: (x) => call([x], ([rx]) => wasm.maxAbs(rx as Float32Array)),
    gemv: (m, rows, cols, x, y, alpha, beta) =>
      call([m, x, y], ([rm, rx, ry]) =>
        wasm.gemv(rm as Float32Array, rows, cols, rx as Float32Array, ry as Float32Array, alpha, beta),
      ),
    loraApply: (lora, x, y, scale) =>
      call([lora.a, lora.b, x, y], ([ra, rb, rx, ry]) =>
        wasm.loraApply(loraIn(lora, ra!, rb!), rx as Float32Array, ry as Float32Array, scale),
      ),
    loraApplyBatch: (adapters, adapterIndex, x, y, rows) =>
      call([...adapters.flatMap((l) => [l.a, l.b]), x, y], (r) => {
        const resident = adapters.map((l, k) => loraIn(l, r[2 * k]!, r[2 * k + 1]!));
        const n = 2 * adapters.length;
        wasm.loraApplyBatch(resident, adapterIndex, r[n] as Float32Array, r[n + 1] as Float32Array, rows);
      }),
    quantizeI8: (x, scale, out, zeroPoint) =>
      call([x, out], ([rx, ro]) => wasm.quantizeI8(rx as Float32Array, scale, ro as Int8Array, zeroPoint)),
    dequantizeI8: (q, scale, out, zeroPoint) =>
      call([q, out], ([rq, ro]) => wasm.dequantizeI8(rq as Int8Array, scale, ro as Float32Array, zeroPoint)),
  };
}

describe('SimdOps conformance: wasm backend, every argument in WASM memory (zero-copy path)', () => {
  const backend = residentView(createWasmBackend());
  for (const c of simdConformanceCases()) it(c.name, () => c.run(backend));
});
