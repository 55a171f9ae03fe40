import { expect, it } from 'vitest';
// The README's example, verbatim apart from the assertions.
import { SeededRng, createLora, loraFromFactors } from '@microlora/core';
import { TaloraManager } from '@microlora/talora';

it('README example', async () => {
  const rng = new SeededRng(1);
  const embed = () => rng.fillNormal(new Float32Array(768)); // your embedder here
  const adapter = (seed: number) => loraFromFactors({ ...createLora({ rank: 2, inFeatures: 768, outFeatures: 768, seed }), b: rng.fillNormal(new Float32Array(2 * 768), 0.02) });

  const talora = new TaloraManager({ bank: { maxPatterns: 1000 }, interpolation: { strategy: 'soft-boundary', options: { temperature: 0.1 } } });
  talora.insert({ id: 'early', embedding: embed(), lora: adapter(1), timestepRange: [0, 1 / 3] }); // bank 0
  talora.insert({ id: 'late', embedding: embed(), lora: adapter(2), timestepRange: [2 / 3, 1] }); // bank 2
  talora.insert({ id: 'always', embedding: embed(), lora: adapter(3), timestepRange: [0, 1] }); // banks 0–2, one int8 copy
  const query = embed();
  const delta = talora.getAdapter(query, 0.5); // ΔW = Σ β_b·ΔW_b, a view valid until the next getAdapter
  const { sources, bankWeights } = talora.getAdapterWithSources(query, 0.5); // a copy, with provenance
  console.log(delta.rank, [...bankWeights].map((w) => w.toFixed(3)), sources.map((s) => s.id));
  const restored = await TaloraManager.load(await talora.save(), { interpolation: 'soft-boundary' });
  console.log(restored.stats().patterns, restored.banksOf('always')); // 3 [ 0, 1, 2 ]

  expect(delta.rank).toBe(6);
  expect([...bankWeights].map((w) => w.toFixed(3))).toEqual(['0.033', '0.933', '0.033']);
  expect(sources.map((s) => s.id).sort()).toEqual(['always', 'early', 'late']);
  expect(restored.stats().patterns).toBe(3);
  expect(restored.banksOf('always')).toEqual([0, 1, 2]);
});
