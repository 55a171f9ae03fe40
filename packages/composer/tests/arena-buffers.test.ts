import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { isMicroLoraError, loraFromFactors } from '@microlora/core';
import type { LoraWeights, QuantScheme } from '@microlora/core';
import { compress } from '@microlora/quantization';
import { createJsBackend } from '@microlora/simd';
import { createComposeBuffers, factorAverage, taskArithmetic, topK, weightedAverage } from '@microlora/composer';
import type { ComposeItem, ComposeTarget } from '@microlora/composer';
import { createFakeArenaBackend } from './fake-arena-backend.js';
import { denseDelta, randomLora, relativeError, weightedSum } from './reference.js';

// Rows of ≥ 128 values, so per-row and grouped (128) factors go through backend.dequantizeI8.
const N = 256;
const M = 128;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (isMicroLoraError(err)) return err.code;
    throw err;
  }
  return undefined;
}

function int8Items(scheme: QuantScheme): ComposeItem[] {
  return [0.9, 0.5, 0.7].map((score, i) => ({
    lora: compress(randomLora(30 + i, i + 1, N, M, { alpha: 3 + i }), scheme, scheme === 'grouped' ? { groupSize: 128 } : {}),
    score,
  }));
}

/** int8 of every scheme plus one f32 adapter. */
function mixedItems(): ComposeItem[] {
  return [
    { lora: compress(randomLora(40, 2, N, M), 'per-row'), score: 0.3 },
    { lora: randomLora(41, 1, N, M, { alpha: 5 }), score: 0.8 },
    { lora: compress(randomLora(42, 2, N, M), 'asymmetric'), score: 0.6 },
    { lora: compress(randomLora(43, 3, N, M), 'grouped', { groupSize: 128 }), score: 0.1 },
    { lora: compress(randomLora(44, 1, N, M), 'per-tensor'), score: 0.5 },
  ];
}

function bits(x: Float32Array): number[] {
  return Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));
}

function expectSameLora(got: LoraWeights, want: LoraWeights): void {
  expect({ ...got, a: bits(got.a), b: bits(got.b) }).toEqual({ ...want, a: bits(want.a), b: bits(want.b) });
}

describe('createComposeBuffers with a backend that has an arena', () => {
  it('allocates a and b in the arena, and plain buffers for backends without one', () => {
    const fake = createFakeArenaBackend();
    const inArena = createComposeBuffers({ maxRank: 6, inFeatures: N, outFeatures: M, backend: fake });
    expect(inArena.inArena).toBe(true);
    expect(fake.arena.contains(inArena.a) && fake.arena.contains(inArena.b)).toBe(true);
    expect([inArena.a.length, inArena.b.length, inArena.weights.length]).toEqual([6 * N, 6 * M, 64]);
    for (const backend of [undefined, createJsBackend()]) {
      const plain = createComposeBuffers({ maxRank: 6, inFeatures: N, outFeatures: M, ...(backend ? { backend } : {}) });
      expect(plain.inArena).toBe(false);
      expect(plain.a.buffer.byteLength).toBe(6 * N * 4);
      expect(Object.keys(plain)).toEqual(expect.arrayContaining(['maxRank', 'inFeatures', 'outFeatures', 'a', 'b', 'weights']));
    }
  });

  it.each(['per-row', 'per-tensor', 'asymmetric', 'grouped'] as const)(
    '%s: every dequantizeI8 reads and writes arena memory, and the result is the plain-buffer result bit for bit',
    (scheme) => {
      const fake = createFakeArenaBackend();
      const items = int8Items(scheme);
      const arena = createComposeBuffers({ maxRank: 8, inFeatures: N, outFeatures: M, backend: fake });
      const plain = createComposeBuffers({ maxRank: 8, inFeatures: N, outFeatures: M });
      const got = weightedAverage.composeInto!(items, arena, { backend: fake });
      const calls = fake.dequantizeCalls.splice(0);
      expect(calls.length).toBeGreaterThan(0);
      expect(calls.every((c) => c.inputInArena && c.outputInArena)).toBe(true);
      expect(fake.arena.contains(got.a) && fake.arena.contains(got.b)).toBe(true);
      expectSameLora(got, weightedAverage.composeInto!(items, plain, { backend: fake }));
      expect(relativeError(denseDelta(got), weightedSum(items, [0.9 / 2.1, 0.5 / 2.1, 0.7 / 2.1]))).toBeLessThanOrEqual(1e-5);
    },
  );

  it.each([
    ['weighted-average', () => weightedAverage.composeInto!.bind(weightedAverage), {}],
    ['top-k (zero weights skipped)', () => topK.composeInto!.bind(topK), { k: 2 }],
    ['task-arithmetic λ = −1 (negative factors: the JS kernel writes the arena)', () => taskArithmetic.composeInto!.bind(taskArithmetic), { lambda: -1 }],
    ['factor-average (legacy)', () => factorAverage.composeInto!.bind(factorAverage), {}],
  ] as const)('%s: same composite as into plain buffers', (_name, get, options) => {
    const fake = createFakeArenaBackend();
    const into = get() as (items: readonly ComposeItem[], target: ComposeTarget, options?: object) => LoraWeights;
    const items = _name.startsWith('factor') ? int8Items('per-row').map((it) => ({ ...it, lora: compress(randomLora(50, 2, N, M), 'per-row') })) : mixedItems();
    const arena = createComposeBuffers({ maxRank: 12, inFeatures: N, outFeatures: M, backend: fake });
    const plain = createComposeBuffers({ maxRank: 12, inFeatures: N, outFeatures: M });
    const got = into(items, arena, { ...options, backend: fake });
    expect(fake.arena.contains(got.a) && fake.arena.contains(got.b)).toBe(true);
    expectSameLora(got, into(items, plain, { ...options, backend: fake }));
  });

  it("composes with the buffers' backend when the options name none, and with another backend when they do", () => {
    const fake = createFakeArenaBackend();
    const items = mixedItems();
    const arena = createComposeBuffers({ maxRank: 12, inFeatures: N, outFeatures: M, backend: fake });
    const reference = weightedAverage.compose(items);
    expectSameLora(weightedAverage.composeInto!(items, arena), reference);
    expect(fake.dequantizeCalls.length).toBeGreaterThan(0);
    fake.dequantizeCalls.length = 0;
    expectSameLora(weightedAverage.composeInto!(items, arena, { backend: createJsBackend() }), reference);
    expect(fake.dequantizeCalls).toEqual([]);
  });

  it('stays correct after the memory grows between composes (views are re-read)', () => {
    const fake = createFakeArenaBackend();
    const items = mixedItems();
    const arena = createComposeBuffers({ maxRank: 12, inFeatures: N, outFeatures: M, backend: fake });
    const first = weightedAverage.composeInto!(items, arena);
    fake.arena.grow(1 << 16);
    expect(first.a.length).toBe(0); // a composite is valid until the memory grows, like any arena view
    const second = weightedAverage.composeInto!(items.slice().reverse(), arena);
    expect(fake.arena.contains(second.a) && fake.arena.contains(second.b)).toBe(true);
    expectSameLora(second, weightedAverage.compose(items.slice().reverse()));
    expect(fake.dequantizeCalls.every((c) => c.inputInArena && c.outputInArena)).toBe(true);
  });

  it('a growth during a compose (a backend that allocates) throws a coded error, never returns detached views', () => {
    const fake = createFakeArenaBackend();
    const items = int8Items('per-tensor');
    const arena = createComposeBuffers({ maxRank: 8, inFeatures: N, outFeatures: M, backend: fake });
    weightedAverage.composeInto!(items, arena);
    const callsPerCompose = fake.dequantizeCalls.length;
    for (const at of [1, callsPerCompose]) {
      fake.growOnCall = at;
      expect(['INVALID_ARGUMENT', 'DIMENSION_MISMATCH']).toContain(codeOf(() => weightedAverage.composeInto!(items, arena)));
    }
    expectSameLora(weightedAverage.composeInto!(items, arena), weightedAverage.compose(items)); // the next compose is fine
  });

  it('works without allocI8 (inputs are then copied by the backend, outputs still in place)', () => {
    const fake = createFakeArenaBackend({ allocI8: false });
    const items = int8Items('per-row');
    const arena = createComposeBuffers({ maxRank: 8, inFeatures: N, outFeatures: M, backend: fake });
    expectSameLora(weightedAverage.composeInto!(items, arena), weightedAverage.compose(items));
    expect(fake.dequantizeCalls.every((c) => !c.inputInArena && c.outputInArena)).toBe(true);
  });

  it('accepts an f32 adapter living elsewhere in the same arena, rejects one overlapping the target', () => {
    const fake = createFakeArenaBackend();
    const source = randomLora(60, 2, N, M);
    const a = fake.arena.allocF32(source.a.length);
    const b = fake.arena.allocF32(source.b.length);
    a.array.set(source.a);
    b.array.set(source.b);
    const arena = createComposeBuffers({ maxRank: 8, inFeatures: N, outFeatures: M, backend: fake });
    const resident = loraFromFactors({ ...source, a: a.array, b: b.array });
    expect(resident.a.buffer).toBe(arena.a.buffer); // same memory as the target, different bytes
    const items = [{ lora: resident, score: 1 }, ...int8Items('per-row')];
    const composite = weightedAverage.composeInto!(items, arena);
    expectSameLora(composite, weightedAverage.compose([{ lora: source, score: 1 }, ...items.slice(1)]));
    expect(codeOf(() => weightedAverage.composeInto!([{ lora: composite, score: 1 }], arena))).toBe('INVALID_ARGUMENT');
  });
});

describe('dispose()', () => {
  it('returns every arena block once, and later use throws INVALID_ARGUMENT', () => {
    const fake = createFakeArenaBackend();
    const target = createComposeBuffers({ maxRank: 4, inFeatures: N, outFeatures: M, backend: fake });
    expect(fake.arena.live.size).toBe(3); // a, b and the int8 staging area
    target.dispose();
    target.dispose(); // idempotent: a second free would throw in the fake
    expect(fake.arena.live.size).toBe(0);
    expect(target.disposed).toBe(true);
    expect(codeOf(() => target.a)).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => weightedAverage.composeInto!(int8Items('per-row'), target))).toBe('INVALID_ARGUMENT');
  });

  it('frees what was allocated when a later allocation fails', () => {
    for (const failing of [1, 2, 3]) {
      const fake = createFakeArenaBackend();
      fake.arena.failOnAllocation = failing;
      expect(() => createComposeBuffers({ maxRank: 4, inFeatures: N, outFeatures: M, backend: fake })).toThrow('out of memory');
      expect(fake.arena.live.size).toBe(0);
    }
  });

  it('without dispose, the blocks return once the buffers and every composite from them are unreachable', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const collect = async (): Promise<void> => {
      for (let k = 0; k < 4; k++) {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    const fake = createFakeArenaBackend();
    const items = int8Items('per-row');
    let composite: LoraWeights | undefined = weightedAverage.composeInto!(
      items,
      createComposeBuffers({ maxRank: 6, inFeatures: N, outFeatures: M, backend: fake }),
    );
    const snapshot = { a: composite.a.slice(), b: composite.b.slice() };
    await collect(); // the buffers object is unreachable now; the composite is not
    expect(fake.arena.live.size).toBe(3);
    for (let k = 0; k < 4; k++) fake.arena.allocF32(6 * N).array.fill(42); // would land on freed blocks
    expect([composite.a, composite.b]).toEqual([snapshot.a, snapshot.b]);
    composite = undefined;
    await collect();
    expect(fake.arena.live.size).toBe(0);
  });

  it('exists on plain buffers too, with the same use-after-dispose error', () => {
    const target = createComposeBuffers({ maxRank: 4, inFeatures: 8, outFeatures: 6 });
    expect(target.disposed).toBe(false);
    target.dispose();
    expect(target.disposed).toBe(true);
    expect(codeOf(() => weightedAverage.composeInto!([], target))).toBe('INVALID_ARGUMENT');
  });
});
