import { describe, expect, it } from 'vitest';
import { SeededRng, isMicroLoraError, loraFromFactors } from '@microlora/core';
import type { LoraWeights } from '@microlora/core';
import { createJsBackend } from '@microlora/simd';
import { referenceLoraApply } from '@microlora/simd/conformance';
import { WasmLora, createWasmBackend } from '@microlora/simd-wasm';

const js = createJsBackend();

function randomLora(rng: SeededRng, rank: number, n: number, m: number): LoraWeights {
  return loraFromFactors({
    rank,
    inFeatures: n,
    outFeatures: m,
    alpha: 3,
    a: rng.fillUniform(new Float32Array(rank * n), -1, 1),
    b: rng.fillUniform(new Float32Array(rank * m), -1, 1),
  });
}

/** y + s·B(A x) in float64. */
function expectedApply(lora: LoraWeights, x: Float32Array, y: Float32Array, scale = 1): Float64Array {
  const delta = referenceLoraApply(lora, x);
  return Float64Array.from(y, (v, i) => v + scale * (delta[i] as number));
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-4): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as number;
    if (!(Math.abs((got[i] as number) - w) <= tol * (1 + Math.abs(w)))) {
      throw new Error(`[${i}]: got ${got[i]}, expected ${w}`);
    }
  }
}

function expectCode(fn: () => unknown, code: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(isMicroLoraError(thrown), `expected MicroLoraError ${code}, got ${String(thrown)}`).toBe(true);
  expect((thrown as { code: string }).code).toBe(code);
}

describe('arena blocks', () => {
  it('hands out 16-byte-aligned views of WASM memory that ops use in place', () => {
    const wasm = createWasmBackend();
    const rng = new SeededRng(1);
    const a = wasm.arena.allocF32(769);
    const b = wasm.arena.allocF32(769);
    const out = wasm.arena.allocF32(769);
    expect(a.array).toBeInstanceOf(Float32Array);
    expect(a.array.length).toBe(769);
    expect(a.ptr % 16).toBe(0);
    expect(b.ptr % 16).toBe(0);
    expect(wasm.arena.contains(a.array)).toBe(true);
    expect(a.array.buffer).toBe(wasm.arena.buffer);
    rng.fillUniform(a.array, -1, 1);
    rng.fillUniform(b.array, -1, 1);

    expect(wasm.dot(a.array, b.array)).toBeCloseTo(js.dot(a.array, b.array), 4);
    wasm.lerp(a.array, b.array, 0.25, out.array);
    const ref = new Float32Array(769);
    js.lerp(a.array, b.array, 0.25, ref);
    expectClose(out.array, ref, 1e-6);
    wasm.softmax(a.array, out.array);
    js.softmax(a.array, ref);
    expectClose(out.array, ref, 1e-5);
    expect(wasm.maxAbs(a.array)).toBe(js.maxAbs(a.array));

    const q = wasm.arena.allocI8(769);
    wasm.quantizeI8(a.array, 1 / 127, q.array);
    const qRef = new Int8Array(769);
    js.quantizeI8(a.array, 1 / 127, qRef);
    expect(Array.from(q.array)).toEqual(Array.from(qRef));
    wasm.dequantizeI8(q.array, 1 / 127, out.array, 0);
    js.dequantizeI8(qRef, 1 / 127, ref, 0);
    expectClose(out.array, ref, 1e-6);

    // Nothing was staged: arguments in WASM memory are never copied.
    expect(wasm.memoryStats().scratchBytes).toBe(0);
    expect(wasm.memoryStats().cachedAdapters).toBe(0);
  });

  it('uses subarrays of its views in place too; copies (slice) and outside arrays are staged', () => {
    const wasm = createWasmBackend();
    const block = wasm.arena.allocF32(33);
    block.array.fill(2);
    const sub = block.array.subarray(1, 17);
    expect(wasm.arena.contains(sub)).toBe(true);
    expect(wasm.dot(sub, sub)).toBe(64);
    wasm.scale(sub, 0.5, sub);
    expect(block.array[1]).toBe(1);
    expect(block.array[17]).toBe(2);
    expect(wasm.memoryStats().scratchBytes).toBe(0);

    const copy = block.array.slice();
    expect(wasm.arena.contains(copy)).toBe(false);
    const View = block.array.constructor as new (n: number) => Float32Array;
    expect(wasm.arena.contains(new View(4))).toBe(false);
    expect(wasm.dot(copy, copy)).toBe(16 * 1 + 17 * 4);
    expect(wasm.memoryStats().scratchBytes).toBeGreaterThan(0);
  });

  it('free() returns the memory; a freed block refuses access; free is idempotent', () => {
    const wasm = createWasmBackend();
    const before = wasm.memoryStats().bytesInUse;
    const block = wasm.arena.allocF32(1000);
    expect(wasm.memoryStats().bytesInUse).toBe(before + 4000);
    block.free();
    block.free();
    expect(block.freed).toBe(true);
    expect(wasm.memoryStats().bytesInUse).toBe(before);
    expectCode(() => block.array, 'INVALID_ARGUMENT');
  });

  it('reuses freed space first-fit and coalesces neighbours', () => {
    const wasm = createWasmBackend();
    const a = wasm.arena.allocI8(64);
    const b = wasm.arena.allocI8(64);
    const c = wasm.arena.allocI8(64);
    const ptrA = a.ptr;
    const ptrB = b.ptr;
    b.free();
    const small = wasm.arena.allocI8(16);
    expect(small.ptr).toBe(ptrB); // fits in b's hole
    small.free();
    a.free(); // a + b coalesce into one 128-byte hole
    const big = wasm.arena.allocI8(128);
    expect(big.ptr).toBe(ptrA);
    big.free();
    c.free();
    expect(wasm.memoryStats().bytesInUse).toBe(0);
    expect(wasm.arena.allocI8(16).ptr).toBe(ptrA); // everything went back to the top
  });

  it('rejects bad lengths', () => {
    const wasm = createWasmBackend();
    expectCode(() => wasm.arena.allocF32(-1), 'OUT_OF_RANGE');
    expectCode(() => wasm.arena.allocF32(1.5), 'INVALID_ARGUMENT');
    expectCode(() => wasm.arena.allocI8(Number.NaN), 'INVALID_ARGUMENT');
  });
});

describe('uploaded adapters (WasmLora)', () => {
  it('is a LoraWeights that loraApply uses in place, matching the float64 reference', () => {
    const wasm = createWasmBackend();
    const rng = new SeededRng(2);
    const lora = randomLora(rng, 3, 768, 257);
    const handle = wasm.arena.uploadLora(lora);
    expect(handle).toBeInstanceOf(WasmLora);
    expect([handle.rank, handle.inFeatures, handle.outFeatures, handle.alpha, handle.scaling]).toEqual([3, 768, 257, 3, 1]);
    expect(Array.from(handle.a)).toEqual(Array.from(lora.a));
    const x = wasm.arena.allocF32(768);
    const y = wasm.arena.allocF32(257);
    rng.fillUniform(x.array, -1, 1);
    rng.fillUniform(y.array, -1, 1);
    const want = expectedApply(lora, x.array, y.array, 0.5);
    wasm.loraApply(handle, x.array, y.array, 0.5);
    expectClose(y.array, want);
    expect(wasm.memoryStats().scratchBytes).toBe(0);
    expect(wasm.memoryStats().cachedAdapters).toBe(0);
  });

  it('sees in-place edits of handle.a / handle.b at once, and write() replaces the factors', () => {
    const wasm = createWasmBackend();
    const rng = new SeededRng(3);
    const lora = randomLora(rng, 2, 17, 9);
    const handle = wasm.arena.uploadLora(lora);
    const x = rng.fillUniform(new Float32Array(17), -1, 1);
    handle.b.fill(0);
    const y = new Float32Array(9);
    wasm.loraApply(handle, x, y);
    expect(Array.from(y)).toEqual(new Array(9).fill(0));
    handle.b[3] = 1; // one entry: no cache to go stale
    wasm.loraApply(handle, x, y);
    expect(y[3]).not.toBe(0);

    const other = randomLora(rng, 2, 17, 9);
    handle.write(other);
    const y2 = new Float32Array(9);
    wasm.loraApply(handle, x, y2);
    expectClose(y2, expectedApply(other, x, new Float32Array(9)));
    expectCode(() => handle.write(randomLora(rng, 3, 17, 9)), 'DIMENSION_MISMATCH');
  });

  it('a freed handle refuses use', () => {
    const wasm = createWasmBackend();
    const handle = wasm.arena.uploadLora(randomLora(new SeededRng(4), 1, 8, 8));
    handle.free();
    expect(handle.freed).toBe(true);
    expectCode(() => handle.a, 'INVALID_ARGUMENT');
    expectCode(() => wasm.loraApply(handle, new Float32Array(8), new Float32Array(8)), 'INVALID_ARGUMENT');
  });

  it('uploadLora validates the adapter', () => {
    const wasm = createWasmBackend();
    const lora = randomLora(new SeededRng(5), 2, 8, 8);
    expectCode(() => wasm.arena.uploadLora({ ...lora, b: new Float32Array(15) }), 'DIMENSION_MISMATCH');
    expectCode(() => wasm.arena.uploadLora({ ...lora, rank: 0 }), 'RANK_OUT_OF_RANGE');
  });

  it("a handle of another backend is copied, never read through that backend's pointers", () => {
    const one = createWasmBackend();
    const two = createWasmBackend();
    const rng = new SeededRng(6);
    const lora = randomLora(rng, 2, 33, 17);
    const foreign = one.arena.uploadLora(lora);
    const x = rng.fillUniform(new Float32Array(33), -1, 1);
    const y = new Float32Array(17);
    two.loraApply(foreign, x, y);
    expectClose(y, expectedApply(lora, x, new Float32Array(17)));
    expect(two.memoryStats().cachedAdapters).toBe(1);
  });

  it('loraApplyBatch mixes handles, arena-backed and plain adapters', () => {
    for (const adapterCacheBytes of [undefined, 0]) {
      const wasm = createWasmBackend(adapterCacheBytes === undefined ? {} : { adapterCacheBytes });
      const rng = new SeededRng(7);
      const n = 19;
      const m = 11;
      const plain = randomLora(rng, 2, n, m);
      const handled = randomLora(rng, 4, n, m);
      const handle = wasm.arena.uploadLora(handled);
      const adapters = [plain, handle];
      const index = Int32Array.of(1, 0, -1, 1, 0);
      const rows = index.length;
      const x = rng.fillUniform(new Float32Array(rows * n), -1, 1);
      const y = rng.fillUniform(new Float32Array(rows * m), -1, 1);
      const want = Float64Array.from(y);
      for (let r = 0; r < rows; r++) {
        const k = index[r] as number;
        if (k < 0) continue;
        const delta = referenceLoraApply(k === 0 ? plain : handled, x.subarray(r * n, (r + 1) * n));
        for (let o = 0; o < m; o++) want[r * m + o] = (want[r * m + o] as number) + (delta[o] as number);
      }
      wasm.loraApplyBatch(adapters, index, x, y, rows);
      expectClose(y, want);
    }
  });
});

describe('memory growth', () => {
  it('re-creates views after the memory grows; contents, handles and cached adapters survive', () => {
    const wasm = createWasmBackend();
    const rng = new SeededRng(8);
    const block = wasm.arena.allocF32(100);
    block.array.set(rng.fillUniform(new Float32Array(100), -1, 1));
    const saved = block.array.slice();
    const oldView = block.array;
    const lora = randomLora(rng, 2, 64, 64);
    const handle = wasm.arena.uploadLora(lora);
    const x = rng.fillUniform(new Float32Array(64), -1, 1);
    const y0 = new Float32Array(64);
    wasm.loraApply(lora, x, y0); // lora now cached in WASM memory
    const memoryBefore = wasm.memoryStats().memoryBytes;

    const big = wasm.arena.allocF32(memoryBefore); // 4× the memory: must grow
    expect(wasm.memoryStats().memoryBytes).toBeGreaterThan(memoryBefore);
    expect(oldView.length).toBe(0); // the old ArrayBuffer is detached
    expect(block.array.length).toBe(100);
    expect(Array.from(block.array)).toEqual(Array.from(saved));
    expect(Array.from(handle.a)).toEqual(Array.from(lora.a));
    expect(block.array.buffer).toBe(wasm.arena.buffer);
    // A kept old view is an error, never a silent empty result.
    expect(wasm.arena.contains(oldView)).toBe(false);
    expectCode(() => wasm.dot(oldView, oldView), 'INVALID_ARGUMENT');
    expectCode(() => wasm.scale(oldView, 2, oldView), 'INVALID_ARGUMENT');

    const y1 = new Float32Array(64);
    const y2 = new Float32Array(64);
    wasm.loraApply(lora, x, y1); // cached copy
    wasm.loraApply(handle, x, y2);
    expect(Array.from(y1)).toEqual(Array.from(y0));
    expect(Array.from(y2)).toEqual(Array.from(y0));
    big.free();
  });

  it('an op whose adapter upload grows the memory still writes into resident x/y', () => {
    const wasm = createWasmBackend();
    const rng = new SeededRng(9);
    const n = 8192;
    const x = wasm.arena.allocF32(n);
    const y = wasm.arena.allocF32(n);
    rng.fillUniform(x.array, -1, 1);
    rng.fillUniform(y.array, -1, 1);
    const lora = randomLora(rng, 16, n, n); // 1 MiB of factors: the first upload grows the memory
    const want = expectedApply(lora, x.array, y.array);
    const before = wasm.memoryStats().memoryBytes;
    const yView = y.array;
    wasm.loraApply(lora, x.array, yView);
    expect(wasm.memoryStats().memoryBytes).toBeGreaterThan(before);
    expect(yView.length).toBe(0); // detached by the growth during the call…
    expectClose(y.array, want); // …but the result landed in the block
  });
});

describe('plain-API adapter cache', () => {
  it('uploads an adapter once and reuses it', () => {
    const wasm = createWasmBackend();
    const rng = new SeededRng(10);
    const lora = randomLora(rng, 2, 768, 768);
    const x = rng.fillUniform(new Float32Array(768), -1, 1);
    const y = new Float32Array(768);
    wasm.loraApply(lora, x, y);
    wasm.loraApply(lora, x, y);
    const stats = wasm.memoryStats();
    expect(stats.cachedAdapters).toBe(1);
    expect(stats.cachedAdapterBytes).toBe(2 * 768 * 4 * 2);
  });

  it('detects a whole rewrite of the factors in place (set, fill, an optimizer step)', () => {
    const wasm = createWasmBackend();
    const rng = new SeededRng(11);
    const lora = randomLora(rng, 2, 65, 33);
    const x = rng.fillUniform(new Float32Array(65), -1, 1);
    wasm.loraApply(lora, x, new Float32Array(33));
    lora.a.set(rng.fillUniform(new Float32Array(lora.a.length), -1, 1));
    for (let i = 0; i < lora.b.length; i++) lora.b[i] = (lora.b[i] as number) * 0.9 + 0.01;
    const y = new Float32Array(33);
    wasm.loraApply(lora, x, y);
    expectClose(y, expectedApply(lora, x, new Float32Array(33)));
  });

  it('invalidate(lora) makes a sparse in-place edit visible', () => {
    const wasm = createWasmBackend();
    const rng = new SeededRng(12);
    const lora = randomLora(rng, 2, 65, 33);
    const x = rng.fillUniform(new Float32Array(65), -1, 1);
    wasm.loraApply(lora, x, new Float32Array(33));
    lora.a[1] = (lora.a[1] as number) + 5; // index 1 is not a sampled entry
    expect(wasm.invalidate(lora)).toBe(true);
    expect(wasm.invalidate(lora)).toBe(false);
    const y = new Float32Array(33);
    wasm.loraApply(lora, x, y);
    expectClose(y, expectedApply(lora, x, new Float32Array(33)));
  });

  it('stays within adapterCacheBytes (oldest evicted) and stays correct', () => {
    const adapterBytes = 2 * (64 + 64) * 4;
    const wasm = createWasmBackend({ adapterCacheBytes: 3 * adapterBytes });
    const rng = new SeededRng(13);
    const loras = Array.from({ length: 10 }, () => randomLora(rng, 2, 64, 64));
    const x = rng.fillUniform(new Float32Array(64), -1, 1);
    for (let round = 0; round < 2; round++) {
      for (const lora of loras) {
        const y = new Float32Array(64);
        wasm.loraApply(lora, x, y);
        expectClose(y, expectedApply(lora, x, new Float32Array(64)));
        // trimmed before each call: at most the cap plus the adapter just added
        expect(wasm.memoryStats().cachedAdapterBytes).toBeLessThanOrEqual(4 * adapterBytes);
      }
    }
  });

  it('adapterCacheBytes: 0 copies adapters on every call and caches nothing', () => {
    const wasm = createWasmBackend({ adapterCacheBytes: 0 });
    const rng = new SeededRng(14);
    const lora = randomLora(rng, 2, 65, 33);
    const x = rng.fillUniform(new Float32Array(65), -1, 1);
    wasm.loraApply(lora, x, new Float32Array(33));
    lora.a[1] = (lora.a[1] as number) + 5;
    const y = new Float32Array(33);
    wasm.loraApply(lora, x, y);
    expectClose(y, expectedApply(lora, x, new Float32Array(33)));
    expect(wasm.memoryStats().cachedAdapters).toBe(0);
  });

  it('rejects a bad adapterCacheBytes or initialMemoryBytes', () => {
    expectCode(() => createWasmBackend({ adapterCacheBytes: -1 }), 'INVALID_ARGUMENT');
    expectCode(() => createWasmBackend({ adapterCacheBytes: Number.NaN }), 'INVALID_ARGUMENT');
    expectCode(() => createWasmBackend({ initialMemoryBytes: -1 }), 'INVALID_ARGUMENT');
  });

  it('initialMemoryBytes reserves memory up front', () => {
    expect(createWasmBackend({ initialMemoryBytes: 8 * 2 ** 20 }).memoryStats().memoryBytes).toBeGreaterThanOrEqual(8 * 2 ** 20);
    expect(createWasmBackend().memoryStats().memoryBytes).toBeGreaterThanOrEqual(2 ** 20);
  });

  it('rejects an adapter with one factor in the arena and the other outside', () => {
    const wasm = createWasmBackend();
    const lora = randomLora(new SeededRng(15), 2, 8, 4);
    const block = wasm.arena.allocF32(16);
    block.array.set(lora.a);
    const half = { ...lora, a: block.array };
    expectCode(() => wasm.loraApply(half, new Float32Array(8), new Float32Array(4)), 'INVALID_ARGUMENT');
    expectCode(() => wasm.loraApplyBatch([half], Int32Array.of(0), new Float32Array(8), new Float32Array(4), 1), 'INVALID_ARGUMENT');
  });
});
