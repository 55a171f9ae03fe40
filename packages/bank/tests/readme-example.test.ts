import { expect, it } from 'vitest';
import { SeededRng, createLora } from '@microlora/core';
import { MicroLoraBank } from '@microlora/bank';

it('the README example runs', async () => {
  const rng = new SeededRng(1);
  const embed = (): Float32Array => rng.fillNormal(new Float32Array(768)); // your embedder here

  const bank = new MicroLoraBank({ timestepRange: [0, 0.33], maxPatterns: 1000 });
  for (let i = 0; i < 10; i++) {
    const lora = createLora({ rank: 2, inFeatures: 768, outFeatures: 768, seed: i }); // f32: compressed to int8 on insert
    bank.insert({ id: `p${i}`, embedding: embed(), lora, timestepRange: [0, 0.33] });
  }
  const hits = bank.retrieve(embed(), 3); // [{ id, pattern, lora, similarity, score }], best first
  bank.recordUsage(hits[0]!.id, { latencyMs: 12, userId: 'alice' });
  bank.updateMetrics(hits[0]!.id, { quality: 0.9 });
  const copy = await MicroLoraBank.load(await bank.save());
  // README: console.log(hits.map((h) => h.id), copy.stats().patterns); // [ 'p4', 'p5', 'p2' ] 10
  expect(hits.map((h) => h.id)).toEqual(['p4', 'p5', 'p2']);

  expect(hits).toHaveLength(3);
  expect(copy.stats().patterns).toBe(10);
  expect(copy.get(hits[0]!.id)!.metrics.successRate).toBeCloseTo(0.9, 12);
});
