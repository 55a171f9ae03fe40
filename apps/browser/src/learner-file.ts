import { ByteWriter, MicroLoraError, openContainer, type ByteReader } from '@microlora/core';
import type { LearnerState } from '@microlora/learner';

/** The personal learner's stored state (OnlineLearner.exportState()), tied to the model it was learnt on. */
export const LEARNER_FILE = { magic: 'MLPL', version: 1, what: 'personal learner' } as const;

/** Rank and features above these are not a personal adapter of this page's model: the file is corrupt. */
const MAX_RANK = 64;
const MAX_FEATURES = 65_536;
const MAX_EXPLORATION_RECORDS = 1_000_000;

export interface LearnerFile {
  /** CRC-32 of the model file the learner was trained on (its head layer is what the adapter adapts). */
  modelCrc: number;
  state: LearnerState;
}

/** A checksummed little-endian container of `state` (floats exact, every counter kept). */
export function encodeLearnerFile(file: LearnerFile): Uint8Array {
  const { modelCrc, state: s } = file;
  for (const [name, values, features] of [
    ['a', s.a, s.inFeatures], ['b', s.b, s.outFeatures], ['initialA', s.initialA, s.inFeatures],
    ['initialB', s.initialB, s.outFeatures], ['pendingA', s.pendingA, s.inFeatures], ['pendingB', s.pendingB, s.outFeatures],
  ] as const) {
    if (values.length !== s.rank * features) {
      throw new MicroLoraError('INVALID_ARGUMENT', `state.${name} has ${values.length} values, expected rank × features = ${s.rank * features}; pass exportState() output`);
    }
  }
  const w = new ByteWriter(LEARNER_FILE, 64 + 4 * 6 * (s.a.length + s.b.length));
  w.u32(modelCrc >>> 0);
  w.u16(s.rank);
  w.u32(s.inFeatures);
  w.u32(s.outFeatures);
  w.f64(s.alpha);
  for (const values of [s.a, s.b, s.initialA, s.initialB, s.pendingA, s.pendingB]) w.f32s(values);
  for (const n of [s.qualitySum, s.baselineEma, s.baselineWeight, s.pendingCount, s.samplesSeen, s.qualitySamples]) w.f64(n);
  for (const n of [s.explorationEvent, s.updatesApplied, s.clippedEvents, s.uninformativeEvents]) w.f64(n);
  w.u32(s.explorationRecords.length);
  for (const r of s.explorationRecords) {
    w.f64(r.sum1);
    w.f64(r.sum2);
    w.f64(r.event);
    w.f64(r.gain);
  }
  return w.finish();
}

function size(r: ByteReader, field: string, max: number): number {
  const n = r.u32(field);
  if (n < 1 || n > max) throw new MicroLoraError('CORRUPT_DATA', `the stored personal learner has ${field} ${n}, outside 1 … ${max}`);
  return n;
}

/**
 * Reads encodeLearnerFile's bytes. Damage → CORRUPT_DATA, another format version →
 * UNSUPPORTED_VERSION. The values themselves are validated by OnlineLearner.fromState.
 */
export function decodeLearnerFile(bytes: Uint8Array): LearnerFile {
  const r = openContainer(bytes, LEARNER_FILE);
  const modelCrc = r.u32('model CRC');
  const rank = r.u16('rank');
  if (rank < 1 || rank > MAX_RANK) throw new MicroLoraError('CORRUPT_DATA', `the stored personal learner has rank ${rank}, outside 1 … ${MAX_RANK}`);
  const inFeatures = size(r, 'inFeatures', MAX_FEATURES);
  const outFeatures = size(r, 'outFeatures', MAX_FEATURES);
  const alpha = r.f64('alpha');
  // a, initialA and pendingA are rank × in; b, initialB and pendingB hold Bᵀ: rank × out.
  const a = r.f32s(rank * inFeatures, 'a');
  const b = r.f32s(rank * outFeatures, 'b');
  const initialA = r.f32s(rank * inFeatures, 'initialA');
  const initialB = r.f32s(rank * outFeatures, 'initialB');
  const pendingA = r.f32s(rank * inFeatures, 'pendingA');
  const pendingB = r.f32s(rank * outFeatures, 'pendingB');
  const [qualitySum, baselineEma, baselineWeight, pendingCount, samplesSeen, qualitySamples] = [
    'qualitySum', 'baselineEma', 'baselineWeight', 'pendingCount', 'samplesSeen', 'qualitySamples',
  ].map((f) => r.f64(f)) as [number, number, number, number, number, number];
  const [explorationEvent, updatesApplied, clippedEvents, uninformativeEvents] = [
    'explorationEvent', 'updatesApplied', 'clippedEvents', 'uninformativeEvents',
  ].map((f) => r.f64(f)) as [number, number, number, number];
  const records = r.u32('exploration record count');
  if (records > MAX_EXPLORATION_RECORDS) throw new MicroLoraError('CORRUPT_DATA', `the stored personal learner claims ${records} exploration records`);
  r.need(records * 32, 'exploration records');
  const explorationRecords = Array.from({ length: records }, (_, i) => ({
    sum1: r.f64(`explorationRecords[${i}].sum1`),
    sum2: r.f64(`explorationRecords[${i}].sum2`),
    event: r.f64(`explorationRecords[${i}].event`),
    gain: r.f64(`explorationRecords[${i}].gain`),
  }));
  r.expectEnd();
  return {
    modelCrc,
    state: {
      rank,
      inFeatures,
      outFeatures,
      alpha,
      a,
      b,
      initialA,
      initialB,
      pendingA,
      pendingB,
      pendingCount,
      samplesSeen,
      qualitySamples,
      qualitySum,
      baselineEma,
      baselineWeight,
      explorationEvent,
      explorationRecords,
      updatesApplied,
      clippedEvents,
      uninformativeEvents,
    },
  };
}
