import { describe, expect, it } from 'vitest';
import { ManualClock, isMicroLoraError } from '@microlora/core';
import { MicroLoraBank } from '@microlora/bank';
import { compress, encodeBinary } from '@microlora/quantization';
import { OnlineLearner, PatternHarvester, recordPatternFeedback, recordPatternUsage } from '@microlora/learner';
import { randomLora, randomVector } from './fixtures.js';

const DIM = 16;

function setup(window = 5, threshold = 0.8) {
  const clock = new ManualClock(1_000);
  const bank = new MicroLoraBank({ timestepRange: [0, 1], maxPatterns: 2, dimension: DIM, clock });
  const harvester = new PatternHarvester({ bank, window, threshold });
  const learner = new OnlineLearner({ initial: randomLora(1, 2, 24, 24) });
  return { clock, bank, harvester, learner };
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isMicroLoraError(err) ? err.code : `not a MicroLoraError: ${String(err)}`;
  }
  return undefined;
}

describe('PatternHarvester', () => {
  it('harvests an adapter once its windowed mean quality passes the threshold, with the mean query embedding', () => {
    const { bank, harvester, learner } = setup();
    const embeddings = [0, 1, 2, 3, 4, 5].map((k) => randomVector(10 + k, DIM));
    // A query without feedback still counts toward the mean embedding.
    expect(harvester.observe('user-1', learner.lora, { embedding: embeddings[0]! })).toBeUndefined();
    const qualities = [0.9, 0.7, 0.9, 0.8, 0.9];
    for (let k = 0; k < 4; k++) {
      expect(harvester.observe('user-1', learner.lora, { embedding: embeddings[k + 1]!, quality: qualities[k]! })).toBeUndefined();
    }
    const result = harvester.observe('user-1', learner.lora, { embedding: embeddings[5]!, quality: qualities[4]! });
    expect(result).toMatchObject({ id: 'harvest:user-1', queries: 6, replaced: false, evictedId: undefined });
    expect(result!.quality).toBeCloseTo(0.84, 12);
    const pattern = bank.get('harvest:user-1')!;
    const mean = new Float32Array(DIM).map((_, i) => embeddings.reduce((s, e) => s + e[i]!, 0) / 6);
    for (let i = 0; i < DIM; i++) expect(pattern.embedding[i]).toBeCloseTo(mean[i]!, 5);
    expect(Array.from(encodeBinary(pattern.lora))).toEqual(Array.from(encodeBinary(compress(learner.lora, 'per-row'))));
    expect(pattern.metrics.successRate).toBeCloseTo(0.84, 12);
    expect(pattern.metrics.feedbackCount).toBe(5);
    // Retrieval by a query near the adapter's queries finds it.
    expect(bank.retrieve(embeddings[3]!, 1)[0]!.id).toBe('harvest:user-1');
  });

  it('does not harvest below the threshold; re-harvests (replacing) after the cooldown', () => {
    const { bank, harvester, learner } = setup(4, 0.75);
    for (let k = 0; k < 8; k++) expect(harvester.observe('u', learner.lora, { embedding: randomVector(k, DIM), quality: 0.7 })).toBeUndefined();
    expect(bank.size).toBe(0);
    expect(harvester.windowQuality('u')).toBeCloseTo(0.7, 12);
    const outcomes = [];
    for (let k = 0; k < 8; k++) outcomes.push(harvester.observe('u', learner.lora, { embedding: randomVector(20 + k, DIM), quality: 1 }));
    // One good event lifts the window mean to 0.775; then 4 events of cooldown before the re-harvest.
    expect(outcomes.map((o) => (o === undefined ? '-' : o.replaced ? 'R' : 'H')).join('')).toBe('H---R---');
    expect(bank.size).toBe(1);
  });

  it('pattern metrics follow usage and feedback; evicted ids are skipped', () => {
    const { clock, bank, harvester, learner } = setup(1, 0.5);
    harvester.observe('a', learner.lora, { embedding: randomVector(1, DIM), quality: 1 });
    harvester.observe('b', learner.lora, { embedding: randomVector(2, DIM), quality: 1 });
    const served = bank.retrieve(randomVector(1, DIM), 2);
    clock.advance(500);
    expect(recordPatternUsage(bank, served, { latencyMs: 12, userId: 'u1' })).toBe(2);
    expect(recordPatternUsage(bank, ['harvest:a'], { latencyMs: 4, userId: 'u2' })).toBe(1);
    expect(recordPatternFeedback(bank, served, { quality: 0 })).toBe(2);
    const a = bank.get('harvest:a')!.metrics;
    expect(a).toMatchObject({ usageCount: 2, avgLatencyMs: 8, lastUsed: 1_500, distinctUsers: 2, feedbackCount: 2 });
    expect(a.successRate).toBeCloseTo(0.5, 12);
    // A third adapter evicts the least recently used ('b'); its id is then skipped.
    harvester.observe('c', learner.lora, { embedding: randomVector(3, DIM), quality: 1 });
    expect(bank.has('harvest:b')).toBe(false);
    expect(recordPatternFeedback(bank, ['harvest:b', 'harvest:c'], { quality: 1 })).toBe(1);
  });

  it('rejects bad input without recording it', () => {
    const { harvester, learner } = setup();
    expect(code(() => harvester.observe('u', learner.lora, { embedding: randomVector(1, DIM + 1), quality: 1 }))).toBe('DIMENSION_MISMATCH');
    expect(code(() => harvester.observe('u', learner.lora, { embedding: randomVector(1, DIM).fill(Number.NaN), quality: 1 }))).toBe('NON_FINITE');
    expect(code(() => harvester.observe('u', learner.lora, { embedding: randomVector(1, DIM), quality: 2 }))).toBe('OUT_OF_RANGE');
    expect(code(() => harvester.observe('', learner.lora, { embedding: randomVector(1, DIM) }))).toBe('INVALID_ARGUMENT');
    expect(Number.isNaN(harvester.windowQuality('u'))).toBe(true);
    expect(code(() => new PatternHarvester({ bank: {} as never }))).toBe('INVALID_ARGUMENT');
  });
});
