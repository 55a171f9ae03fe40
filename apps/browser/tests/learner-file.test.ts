import { describe, expect, it } from 'vitest';
import { SeededRng } from '@microlora/core';
import { OnlineLearner } from '@microlora/learner';
import { createJsBackend } from '@microlora/simd';
import { LEARNER_FILE, decodeLearnerFile, encodeLearnerFile } from '../src/learner-file.js';
import { codeOf } from './helpers.js';

/** A learner that has taken policy-gradient steps, has a step still queued and exploration records. */
function trainedLearner(): OnlineLearner {
  const rng = new SeededRng(5);
  const learner = new OnlineLearner({ rank: 2, inFeatures: 12, outFeatures: 10, seed: 1, clipNorm: 1, exploration: 0.1, backend: createJsBackend() });
  for (let i = 0; i < 6; i++) {
    const x = rng.fillNormal(new Float32Array(12));
    learner.adapt(x, { quality: i % 2, logProbGradient: rng.fillNormal(new Float32Array(10)) });
    if (i % 3 === 2) learner.applyUpdates(0.05);
  }
  learner.apply(rng.fillNormal(new Float32Array(12))); // an exploration record
  learner.adapt(rng.fillNormal(new Float32Array(12)), { quality: 1, logProbGradient: rng.fillNormal(new Float32Array(10)) }); // queued
  return learner;
}

describe('the personal learner file', () => {
  it('round-trips exportState exactly, and fromState gives back the same learner', () => {
    const learner = trainedLearner();
    const state = learner.exportState();
    expect(state.pendingCount).toBe(1);
    expect(state.explorationRecords.length).toBeGreaterThan(0);
    const bytes = encodeLearnerFile({ modelCrc: 0xdeadbeef, state });
    const file = decodeLearnerFile(bytes);
    expect(file.modelCrc).toBe(0xdeadbeef);
    expect(file.state).toEqual(state);
    const restored = OnlineLearner.fromState(file.state, { clipNorm: 1, exploration: 0.1, backend: createJsBackend() });
    expect(restored.stats()).toEqual(learner.stats());
    expect(restored.exportState()).toEqual(state);
    const x = new SeededRng(9).fillNormal(new Float32Array(12));
    // Same weights, same exploration event counter: the same output, noise included.
    expect(restored.applyInto(x, new Float32Array(10))).toEqual(learner.applyInto(x, new Float32Array(10)));
  });

  it('rejects damage, a foreign file and another version with codes', () => {
    const bytes = encodeLearnerFile({ modelCrc: 1, state: trainedLearner().exportState() });
    const flipped = bytes.slice();
    flipped[40] = flipped[40]! ^ 0x10;
    expect(codeOf(() => decodeLearnerFile(flipped))).toBe('CORRUPT_DATA');
    expect(codeOf(() => decodeLearnerFile(bytes.subarray(0, bytes.length - 9)))).toBe('CORRUPT_DATA');
    expect(codeOf(() => decodeLearnerFile(new TextEncoder().encode('MLAP-not-a-learner')))).toBe('CORRUPT_DATA');
    const other = bytes.slice();
    new DataView(other.buffer).setUint16(4, LEARNER_FILE.version + 1, true);
    expect(codeOf(() => decodeLearnerFile(other))).toBe('UNSUPPORTED_VERSION');
  });

  it('refuses to encode a state whose arrays do not match its shape', () => {
    const state = trainedLearner().exportState();
    expect(codeOf(() => encodeLearnerFile({ modelCrc: 1, state: { ...state, b: state.b.subarray(1) } }))).toBe('INVALID_ARGUMENT');
  });
});
