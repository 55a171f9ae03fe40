import { beforeAll, describe, expect, it } from 'vitest';
import { OnlineLearner } from '@microlora/learner';
import { MicroLoraInference, createPatternManager, type DiffusionLM, type GenerationResult } from '@microlora/model-tfjs';
import { loadPretrainedModel, readPretrainedPatterns } from '@microlora/model-tfjs/node';
import { TaloraManager } from '@microlora/talora';
import { errorCode } from './helpers.js';

/** Mean log-probability of the generated characters under the model's head plus the learner's adapter. */
function meanLogProb(model: DiffusionLM, learner: OnlineLearner, result: GenerationResult): number {
  const { dim, vocabSize: v } = model.config;
  const outW = model.outputWeights();
  const outB = model.outputBias();
  let sum = 0;
  for (const f of result.trajectory.filled) {
    const u = Float32Array.from(f.preActivation); // generated with a zero personal adapter: the base pre-activation
    learner.applyAdd(f.features, u);
    const logits = Float64Array.from(outB);
    for (let j = 0; j < dim; j++) for (let c = 0; c < v; c++) logits[c]! += Math.max(0, u[j]!) * outW[j * v + c]!;
    let max = -Infinity;
    for (let c = 2; c < v; c++) max = Math.max(max, logits[c]!);
    let z = 0;
    for (let c = 2; c < v; c++) z += Math.exp(logits[c]! - max);
    sum += logits[f.token]! - max - Math.log(z);
  }
  return sum / result.trajectory.filled.length;
}


describe('MicroLoraInference on the committed model and patterns', () => {
  let model: DiffusionLM;
  let patterns: Uint8Array;
  beforeAll(async () => {
    model = await loadPretrainedModel();
    patterns = readPretrainedPatterns();
  });
  const inference = async (extra: Partial<ConstructorParameters<typeof MicroLoraInference>[0]> = {}) =>
    new MicroLoraInference({ model, talora: await TaloraManager.load(patterns, { interpolation: 'discrete' }), ...extra });

  it('generates maxNewTokens characters after the query, deterministically, through TALoRA at every step', async () => {
    const inf = await inference();
    const a = inf.generate('dog: ', { maxNewTokens: 30, steps: 10 });
    expect(a.tokensGenerated).toBe(30);
    expect(a.text).toHaveLength(30);
    expect(a.fullText.startsWith('dog: ')).toBe(true);
    expect(a.text).not.toContain('_');
    expect(a.trajectory.steps.map((s) => s.t)).toEqual([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0]);
    expect(a.trajectory.steps.every((s) => s.sources.length > 0 && Number.isFinite(s.entropy) && s.entropy >= 0 && s.entropy <= 1)).toBe(true);
    expect(a.trajectory.filled).toHaveLength(30);
    const b = inf.generate('dog: ', { maxNewTokens: 30, steps: 10 });
    expect(b.text).toBe(a.text);
    // The base model (no adapter) uses no patterns.
    const base = inf.generate('dog: ', { maxNewTokens: 30, steps: 10, adapt: false });
    expect(base.trajectory.steps.every((s) => s.sources.length === 0 && !s.dgr)).toBe(true);
  });

  it('DGR fires only above its entropy threshold and at most maxRetrievals times per request', async () => {
    const inf = await inference();
    const never = inf.generate('oak: ', { steps: 8, dgr: { threshold: 1 } });
    expect(never.trajectory.dgrRetrievals).toBe(0);
    const always = inf.generate('oak: ', { steps: 8, dgr: { threshold: 0, maxRetrievals: 3 } });
    expect(always.trajectory.dgrRetrievals).toBe(3);
    expect(always.trajectory.steps.filter((s) => s.dgr).map((s) => s.step)).toEqual([7, 6, 5]);
    for (const s of always.trajectory.steps) {
      if (s.dgr) expect(s.entropy).toBeGreaterThan(0);
      if (!s.dgrMerged) expect(s.entropyAfter).toBe(s.entropy);
    }
    expect(inf.generate('oak: ', { steps: 8, dgr: { threshold: 0, maxRetrievals: 0 } }).trajectory.dgrRetrievals).toBe(0);
    expect(inf.generate('oak: ', { steps: 8, dgr: { threshold: 0, enabled: false } }).trajectory.dgrRetrievals).toBe(0);
  });

  it('👍 makes the generated characters likelier under the personal adapter, 👎 less likely', async () => {
    for (const [quality, direction] of [[1, 1], [0, -1]] as const) {
      const learner = new OnlineLearner({ rank: 2, inFeatures: 96, outFeatures: 96, seed: 3 });
      const inf = new MicroLoraInference({ model, talora: createPatternManager(96), learner, learningRate: 0.05 });
      const result = inf.generate('pine: ', { maxNewTokens: 24, steps: 6 });
      const baseBefore = inf.generate('pine: ', { maxNewTokens: 24, steps: 6, adapt: false });
      const before = meanLogProb(model, learner, result);
      const fb = inf.feedback(result, quality);
      expect(fb.learnerEvents).toBe(24);
      const after = meanLogProb(model, learner, result);
      expect(Math.sign(after - before)).toBe(direction);
      // adapt: false is the base model: the personal adapter does not reach it.
      for (let i = 0; i < 3; i++) inf.feedback(result, quality);
      const baseAfter = inf.generate('pine: ', { maxNewTokens: 24, steps: 6, adapt: false });
      expect(baseAfter.trajectory.filled.map((f) => [...f.probs])).toEqual(baseBefore.trajectory.filled.map((f) => [...f.probs]));
    }
  });

  it('feedback updates the metrics of the patterns a generation used', async () => {
    const inf = await inference();
    const result = inf.generate('carrot: ', { steps: 4 });
    const used = [...new Set(result.trajectory.steps.flatMap((s) => s.sources))];
    const before = used.map((id) => inf.talora.get(id)!.metrics.feedbackCount);
    expect(inf.feedback(result, 1).patterns).toBe(used.length);
    used.forEach((id, i) => expect(inf.talora.get(id)!.metrics.feedbackCount).toBe(before[i]! + 1));
  });

  it('rejects bad queries and configs with typed errors', async () => {
    const inf = await inference();
    const code = errorCode;
    expect(code(() => inf.generate(''))).toBe('INVALID_ARGUMENT');
    expect(code(() => inf.generate('x'.repeat(64)))).toBe('LIMIT_EXCEEDED');
    expect(code(() => inf.generate('dog: ', { steps: 0 }))).toBe('OUT_OF_RANGE');
    expect(code(() => inf.generate('dog: ', { dgr: { threshold: 2 } }))).toBe('OUT_OF_RANGE');
    expect(code(() => inf.generate('dog: ', { alpha: Number.NaN }))).toBe('NON_FINITE');
    expect(code(() => inf.feedback({ trajectory: undefined as never }, 1))).toBe('INVALID_ARGUMENT');
    expect(code(() => inf.feedback(inf.generate('dog: ', { steps: 2 }), 1.5))).toBe('OUT_OF_RANGE');
  });
});
