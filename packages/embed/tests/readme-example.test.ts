import { expect, it } from 'vitest';
import { HashingEmbedder, createCallbackEmbedder } from '@microlora/embed';

it('the README example runs and prints what it claims', () => {
  const embedder = new HashingEmbedder({ dimension: 768, seed: 0 });
  const query = embedder.embed('portrait photo with soft evening light');
  const out = new Float32Array(embedder.dimension);
  embedder.embedInto('portrait in soft light', out);
  let cosine = 0;
  for (let i = 0; i < out.length; i++) cosine += query[i]! * out[i]!;
  expect(cosine).toBeGreaterThan(0.3);
  expect(cosine).toBeLessThan(1);

  const model = createCallbackEmbedder({ dimension: 3, embed: (text) => [text.length, 1, 0], normalize: true });
  const v = model.embed('hello');
  expect(v[0]).toBeCloseTo(0.98, 2);
  expect(v[1]).toBeCloseTo(0.196, 2);
  expect(v[2]).toBe(0);
});
