import { beforeAll, describe, expect, it } from 'vitest';
import { adaptedAccuracy, createPatternManager, harvestDomainPatterns, sampleDomain, trainDomainAdapter, type DiffusionLM } from '@microlora/model-tfjs';
import { TINY, tinyModel } from './helpers.js';

const ANIMALS = ['cat: pet', 'dog: pet', 'cow: milk', 'pig: mud', 'hen: egg', 'fox: den', 'owl: hoot', 'bat: cave'];
const TOOLS = ['saw: cut', 'axe: chop', 'awl: bore', 'pen: ink', 'cup: tea', 'jar: jam', 'box: lid', 'key: lock'];

describe('domain adapters through the harvest path', () => {
  let model: DiffusionLM;
  beforeAll(async () => {
    model = await tinyModel(6, { ...TINY, seqLen: 10, dim: 8 });
  });

  it('sampleDomain masks every text in the range and pools each noisy sequence into an embedding', () => {
    const s = sampleDomain(model, ANIMALS, [0.5, 1], { samplesPerText: 2, seed: 1 });
    expect(s.tokens).toHaveLength(16);
    expect(s.t.every((t) => t > 0.5 && t <= 1)).toBe(true);
    expect(s.masked.every((m) => m.length >= 1)).toBe(true);
    expect(s.embeddings.every((e) => Math.abs(Math.hypot(...e) - 1) < 1e-5)).toBe(true);
    // basePre is the head's pre-activation without an adapter.
    const direct = model.forwardWithLora(s.tokens[3]!, s.t[3]!);
    const row = 3 * 10 * 8;
    expect(Math.max(...direct.preActivation.map((v, i) => Math.abs(v - s.basePre[row + i]!)))).toBeLessThan(1e-5);
  });

  it('a trained adapter lowers the masked cross-entropy of its domain below the base model\'s', () => {
    const s = sampleDomain(model, ANIMALS, [0, 1], { samplesPerText: 6, seed: 2 });
    const base = adaptedAccuracy(model, s, s.tokens.map(() => null));
    const adapter = trainDomainAdapter(model, s, { epochs: 6, learningRate: 0.5, seed: 1 });
    const adapted = adaptedAccuracy(model, s, s.tokens.map(() => adapter));
    expect(adapted.loss).toBeLessThan(base.loss - 0.05);
    expect(adapted.masked).toBe(base.masked);
  });

  it('harvests patterns per domain and bank with that bank\'s timestep range, and oracles on request', async () => {
    const { patterns, oracles } = await harvestDomainPatterns(model, {
      texts: { animals: ANIMALS, tools: TOOLS },
      boundaries: [0, 0.5, 1],
      shards: 2,
      epochs: 4,
      window: 4,
      threshold: 0.5,
      oracles: true,
    });
    expect(Object.keys(oracles)).toEqual(['animals', 'tools']);
    expect(oracles.animals).toHaveLength(2);
    expect(patterns.length).toBeGreaterThan(0);
    for (const p of patterns) {
      const bank = Number(/^b(\d)\//.exec(p.id)?.[1]);
      expect(p.timestepRange).toEqual(bank === 0 ? [0, 0.5] : [0.5, 1]);
      expect(p.lora.rank).toBe(2);
      expect(p.metrics.successRate).toBeGreaterThanOrEqual(0.5);
    }
    const talora = createPatternManager(8, patterns, { boundaries: [0, 0.5, 1] });
    expect(talora.size).toBe(patterns.length);
  });
});
