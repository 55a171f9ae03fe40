import { crc32 } from '@microlora/core';
import { OnlineLearner } from '@microlora/learner';
import { createInference, decodeWeights, type MicroLoraInference } from '@microlora/model-tfjs';
import type { SimdOps } from '@microlora/simd';
import { TaloraManager } from '@microlora/talora';
import { STATE_RECORDS, describeError, type RestoreNote } from './app-storage.js';
import type { ByteStore } from './idb-bytes.js';
import { decodeLearnerFile, encodeLearnerFile } from './learner-file.js';
import { decodePatternFile, encodePatternFile } from './pattern-file.js';

/** The personal adapter: rank 2 on the model's head layer, seeded, steps clipped to norm 1 (createInference's default learner). */
export const PERSONAL_LEARNER = { rank: 2, seed: 1, clipNorm: 1 } as const;
/** TALoRA interpolation between the timestep banks. */
export const PATTERN_INTERPOLATION = 'discrete';

/** The shipped files' bytes. */
export interface ModelFiles {
  weights: Uint8Array;
  patterns: Uint8Array;
}

/** Which shipped files stored state was learnt on: stored state of other files is not restored. */
export interface ModelIdentity {
  modelCrc: number;
  shippedCrc: number;
}

export interface ChatModel {
  inference: MicroLoraInference;
  identity: ModelIdentity;
  /** What became of the stored learner and patterns. */
  notes: RestoreNote[];
}

export interface ChatModelOptions {
  /** SIMD backend of the personal learner (default: @microlora/simd's best, the wasm one when loaded). */
  simd?: SimdOps;
}

function hex(crc: number): string {
  return crc.toString(16).padStart(8, '0');
}

export function modelIdentity(files: ModelFiles): ModelIdentity {
  return { modelCrc: crc32(files.weights), shippedCrc: crc32(files.patterns) };
}

async function readRecord(store: ByteStore, key: string): Promise<{ bytes?: Uint8Array; error?: string }> {
  try {
    const bytes = await store.get(key);
    return bytes === undefined ? {} : { bytes };
  } catch (error) {
    return { error: describeError(error) };
  }
}

/** The stored personal learner, if it was learnt on this model and reads back; a note either way. */
async function restoreLearner(store: ByteStore, identity: ModelIdentity, dim: number, simd: SimdOps | undefined): Promise<{ learner: OnlineLearner; note: RestoreNote }> {
  const fresh = (): OnlineLearner =>
    new OnlineLearner({ ...PERSONAL_LEARNER, inFeatures: dim, outFeatures: dim, ...(simd === undefined ? {} : { backend: simd }) });
  const { bytes, error } = await readRecord(store, STATE_RECORDS.learner);
  if (error !== undefined) return { learner: fresh(), note: { part: 'learner', state: 'discarded', detail: error } };
  if (bytes === undefined) return { learner: fresh(), note: { part: 'learner', state: 'fresh', detail: 'nothing stored yet' } };
  try {
    const file = decodeLearnerFile(bytes);
    if (file.modelCrc !== identity.modelCrc) {
      const detail = `learnt on another model file (CRC ${hex(file.modelCrc)}; this page ships ${hex(identity.modelCrc)})`;
      return { learner: fresh(), note: { part: 'learner', state: 'discarded', detail } };
    }
    const { rank: _rank, seed: _seed, ...settings } = PERSONAL_LEARNER;
    const learner = OnlineLearner.fromState(file.state, { ...settings, ...(simd === undefined ? {} : { backend: simd }) });
    if (learner.inFeatures !== dim || learner.outFeatures !== dim) {
      return { learner: fresh(), note: { part: 'learner', state: 'discarded', detail: `stored adapter is ${learner.inFeatures}→${learner.outFeatures}, the model's head is ${dim}→${dim}` } };
    }
    const samples = learner.stats().samplesSeen;
    return { learner, note: { part: 'learner', state: 'restored', detail: `IndexedDB, ${bytes.length} bytes, ${samples} samples` } };
  } catch (error) {
    return { learner: fresh(), note: { part: 'learner', state: 'discarded', detail: describeError(error) } };
  }
}

/** The stored pattern bank (with the metrics ratings changed) if it came from these files, else the shipped one. */
async function restorePatterns(store: ByteStore, files: ModelFiles, identity: ModelIdentity): Promise<{ talora: TaloraManager; note: RestoreNote }> {
  const shipped = async (): Promise<TaloraManager> => TaloraManager.load(files.patterns, { interpolation: PATTERN_INTERPOLATION });
  const { bytes, error } = await readRecord(store, STATE_RECORDS.patterns);
  if (error !== undefined) return { talora: await shipped(), note: { part: 'patterns', state: 'discarded', detail: error } };
  if (bytes === undefined) {
    const talora = await shipped();
    return { talora, note: { part: 'patterns', state: 'fresh', detail: `the shipped ${talora.size} patterns` } };
  }
  try {
    const file = decodePatternFile(bytes);
    if (file.modelCrc !== identity.modelCrc || file.shippedCrc !== identity.shippedCrc) {
      const detail = `saved from other shipped files (patterns CRC ${hex(file.shippedCrc)}; this page ships ${hex(identity.shippedCrc)})`;
      return { talora: await shipped(), note: { part: 'patterns', state: 'discarded', detail } };
    }
    const talora = await TaloraManager.load(file.talora, { interpolation: PATTERN_INTERPOLATION });
    return { talora, note: { part: 'patterns', state: 'restored', detail: `IndexedDB, ${bytes.length} bytes, ${talora.size} patterns` } };
  } catch (error) {
    return { talora: await shipped(), note: { part: 'patterns', state: 'discarded', detail: describeError(error) } };
  }
}

/**
 * The chat's MicroLoraInference on the ACTIVE tfjs backend: the shipped model, the
 * pattern bank and personal learner as stored by this page for these files (else the
 * shipped patterns and a fresh learner, with a note saying why).
 */
export async function createChatModel(files: ModelFiles, store: ByteStore, options: ChatModelOptions = {}): Promise<ChatModel> {
  const identity = modelIdentity(files);
  const weights = decodeWeights(files.weights);
  const restored = await restoreLearner(store, identity, weights.config.dim, options.simd);
  const patterns = await restorePatterns(store, files, identity);
  const inference = await createInference({ weights, patterns: patterns.talora, learner: restored.learner });
  return { inference, identity, notes: [restored.note, patterns.note] };
}

/** The IndexedDB records of the current learner and pattern bank (what createChatModel restores). */
export async function modelStateRecords(model: Pick<ChatModel, 'inference' | 'identity'>): Promise<Array<[string, Uint8Array]>> {
  const { inference, identity } = model;
  const records: Array<[string, Uint8Array]> = [];
  if (inference.learner !== undefined) {
    records.push([STATE_RECORDS.learner, encodeLearnerFile({ modelCrc: identity.modelCrc, state: inference.learner.exportState() })]);
  }
  const talora = await inference.talora.save();
  records.push([STATE_RECORDS.patterns, encodePatternFile({ ...identity, talora })]);
  return records;
}
