import { describe, expect, it } from 'vitest';
import { ByteWriter, SeededRng } from '@microlora/core';
import { TALORA_FORMAT, TaloraManager } from '@microlora/talora';
import { clock, errorCode, pattern, randomUnit } from './helpers.js';

async function saved(): Promise<{ manager: TaloraManager; bytes: Uint8Array; rng: SeededRng }> {
  const rng = new SeededRng(21);
  const manager = new TaloraManager({
    boundaries: [0, 0.25, 0.6, 1],
    bank: { maxPatterns: 20, dimension: 16, scoring: { similarity: 0.7, quality: 0.2, recency: 0.1 } },
    interpolation: 'soft-boundary',
    clock: clock(),
  });
  const ranges: [number, number][] = [[0, 0.25], [0.1, 0.5], [0, 1], [0.6, 0.6], [0.7, 1]];
  ranges.forEach((range, i) => {
    for (let j = 0; j < 3; j++) manager.insert(pattern(`p${i}-${j}`, randomUnit(rng), range, 10 * i + j));
  });
  manager.recordUsage('p2-0', { latencyMs: 3, userId: 'u' });
  manager.updateMetrics('p1-1', { quality: 0.95 });
  return { manager, bytes: await manager.save(), rng };
}

describe('save / load', () => {
  it('round-trips every bank, membership, metrics and adapters bit for bit', async () => {
    const { manager, bytes, rng } = await saved();
    const loaded = await TaloraManager.load(bytes, { interpolation: 'soft-boundary', clock: clock() });
    expect(await loaded.save()).toEqual(bytes); // saving again gives the same bytes
    expect(loaded.boundaries).toEqual([0, 0.25, 0.6, 1]);
    expect(loaded.adapterShape).toEqual({ inFeatures: 8, outFeatures: 8 });
    const a = manager.stats();
    const b = loaded.stats();
    expect({ ...b, banks: undefined }).toEqual({ ...a, adapters: 0, evictions: 0, banks: undefined });
    for (const p of manager.patterns()) {
      expect(loaded.banksOf(p.id)).toEqual(manager.banksOf(p.id));
      expect(loaded.get(p.id)!.metrics).toEqual(p.metrics);
    }
    for (const t of [0, 0.2, 0.25, 0.5, 0.61, 1]) {
      const q = randomUnit(rng);
      const x = manager.getAdapterCopy(q, t);
      const y = loaded.getAdapterCopy(q, t);
      expect(y.rank).toBe(x.rank);
      expect(y.a).toEqual(x.a);
      expect(y.b).toEqual(x.b);
      expect(Array.from(loaded.getAdapterWithSources(q, t).sources, (s) => [s.id, s.weight.toFixed(12)])).toEqual(
        Array.from(manager.getAdapterWithSources(q, t).sources, (s) => [s.id, s.weight.toFixed(12)]),
      );
    }
  });

  it('keeps spanning patterns consistent after load (eviction cascades)', async () => {
    const { bytes, rng } = await saved();
    const evicted: string[] = [];
    const loaded = await TaloraManager.load(bytes, { onEvict: (p) => evicted.push(p.id), clock: clock() });
    // Fill bank 0 until the spanning 'p2-*' patterns are evicted from it.
    for (let i = 0; i < 20; i++) loaded.insert(pattern(`fill${i}`, randomUnit(rng), [0, 0.1], 500 + i));
    for (const id of ['p2-0', 'p2-1', 'p2-2', 'p1-0']) {
      expect(loaded.has(id)).toBe(false);
      expect(loaded.banks.some((b) => b.has(id))).toBe(false);
    }
    expect(evicted).toEqual(expect.arrayContaining(['p2-0', 'p2-1', 'p2-2']));
    expect(new Set(evicted).size).toBe(evicted.length);
  });

  it('a flipped byte is CORRUPT_DATA; a truncated file too; another version UNSUPPORTED_VERSION', async () => {
    const { bytes } = await saved();
    const flipped = bytes.slice();
    flipped[Math.floor(bytes.length / 2)]! ^= 0x40;
    expect(await errorCode(() => TaloraManager.load(flipped))).toBe('CORRUPT_DATA');
    expect(await errorCode(() => TaloraManager.load(bytes.subarray(0, bytes.length - 9)))).toBe('CORRUPT_DATA');
    expect(await errorCode(() => TaloraManager.load(new Uint8Array(3)))).toBe('CORRUPT_DATA');
    const other = bytes.slice();
    other[4] = 9;
    expect(await errorCode(() => TaloraManager.load(other))).toBe('UNSUPPORTED_VERSION');
    expect(await errorCode(() => TaloraManager.load('x' as never))).toBe('INVALID_ARGUMENT');
  });

  it('banks that disagree with the boundaries are CORRUPT_DATA even with a valid checksum', async () => {
    const { manager } = await saved();
    const banks = await Promise.all(manager.banks.map((b) => b.save()));
    const forge = (boundaries: number[], bankBytes: Uint8Array[]): Uint8Array => {
      const w = new ByteWriter(TALORA_FORMAT);
      w.u32(boundaries.length - 1);
      for (const b of boundaries) w.f64(b);
      w.u32(8);
      w.u32(8);
      for (const b of bankBytes) {
        w.u32(b.length);
        w.bytes(b);
      }
      return w.finish();
    };
    expect(await errorCode(() => TaloraManager.load(forge([0, 0.25, 0.6, 1], banks)))).toBe('no error');
    expect(await errorCode(() => TaloraManager.load(forge([0, 0.3, 0.6, 1], banks)))).toBe('CORRUPT_DATA');
    expect(await errorCode(() => TaloraManager.load(forge([0, 0.6, 0.25, 1], banks)))).toBe('CORRUPT_DATA');
    // A spanning pattern missing from one of its banks.
    const partial = new TaloraManager({ boundaries: [0, 0.25, 0.6, 1], bank: { maxPatterns: 20, dimension: 16 } });
    const emptyBank1 = await partial.banks[1]!.save();
    expect(await errorCode(() => TaloraManager.load(forge([0, 0.25, 0.6, 1], [banks[0]!, emptyBank1, banks[2]!])))).toBe(
      'CORRUPT_DATA',
    );
  });
});
