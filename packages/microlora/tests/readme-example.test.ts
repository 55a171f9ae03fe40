import { expect, it } from 'vitest';
// The README's example, verbatim apart from the assertions.
import { SeededRng, createLora, createMicroLora, loadMicroLora, loraFromFactors } from 'microlora';

it('README example', async () => {
  const rng = new SeededRng(7);
  const adapter = (seed: number) => loraFromFactors({ ...createLora({ rank: 2, inFeatures: 768, outFeatures: 768, seed }), b: rng.fillNormal(new Float32Array(2 * 768), 0.02) });

  const micro = createMicroLora(); // hashing embedder, 3 TALoRA banks, hamming index, wasm SIMD (else js)
  micro.insertPattern({ id: 'portrait', query: 'portrait photo with soft evening light', lora: adapter(1) });
  micro.insertPattern({ id: 'contract', query: 'draft a liability clause for a licence', lora: adapter(2), timestepRange: [0, 1 / 3] });
  const hidden = rng.fillNormal(new Float32Array(768)); // a hidden state of your model
  const request = micro.adapterWithSources('soft light portrait of a fisherman', 0.2); // query text, timestep t
  const adapted = micro.apply(hidden, request.adapter); // hidden + ΔW·hidden
  micro.feedback(request, { quality: 0.9 }); // the sources' successRate rises: they rank higher next time
  console.log(request.sources.map((s) => `${s.id} ${s.weight.toFixed(2)}`), adapted.length); // [ 'portrait 0.54', 'contract 0.46' ] 768
  const restored = await loadMicroLora(await micro.save());
  console.log(restored.stats().patterns, micro.stats().backend); // 2 wasm

  expect(request.sources.map((s) => s.id)).toEqual(['portrait', 'contract']);
  expect(request.sources[0]!.weight).toBeGreaterThan(request.sources[1]!.weight);
  expect(adapted.length).toBe(768);
  expect(restored.stats().patterns).toBe(2);
});
