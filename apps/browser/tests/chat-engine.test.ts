import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { crc32, isMicroLoraError } from '@microlora/core';
import { PRETRAINED_PATTERNS_PATH, PRETRAINED_WEIGHTS_PATH, useTfBackend } from '@microlora/model-tfjs/node';
import { getBackend, type SimdOps } from 'microlora';
import init from 'microlora/compat';
import { STATE_RECORDS } from '../src/app-storage.js';
import { ChatEngine, MAX_MESSAGE_LENGTH } from '../src/chat-engine.js';
import { decodeLearnerFile, encodeLearnerFile } from '../src/learner-file.js';
import { createChatModel, modelStateRecords, type ChatModel, type ModelFiles } from '../src/model-state.js';
import { decodePatternFile, encodePatternFile } from '../src/pattern-file.js';
import { emptySessionLog } from '../src/session-log.js';
import { rescoreHistory } from '../src/tfjs-rescore.js';
import { MemoryByteStore } from './helpers.js';

const FILES: ModelFiles = { weights: readFileSync(PRETRAINED_WEIGHTS_PATH), patterns: readFileSync(PRETRAINED_PATTERNS_PATH) };
let simd: SimdOps;

beforeAll(async () => {
  await useTfBackend('wasm'); // the page picks webgl → wasm → cpu; Node has tfjs-wasm
  await init(); // the WebAssembly SIMD backend, as in the page
  simd = getBackend();
});

function engineOf(model: ChatModel): ChatEngine {
  return new ChatEngine({ inference: model.inference, log: emptySessionLog(), tfBackend: 'wasm', now: () => 1_700_000_000_000 });
}

async function codeOf(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (error) {
    return isMicroLoraError(error) ? error.code : String(error);
  }
  return 'nothing thrown';
}

function crcOf(values: Float32Array): number {
  return crc32(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
}

describe('the chat on the committed model', () => {
  it('generates the requested number of characters after the prompt, with the patterns and DGR it used', async () => {
    const model = await createChatModel(FILES, new MemoryByteStore(), { simd });
    expect(model.notes.map((n) => `${n.part}:${n.state}`)).toEqual(['learner:fresh', 'patterns:fresh']);
    const engine = engineOf(model);
    const { dim } = model.inference.model.config;
    expect(engine.stats()).toMatchObject({ simdBackend: simd.name, rank: 2, paramCount: 2 * (dim + dim), samplesSeen: 0, deltaNorm: 0, banks: 3 });
    expect(engine.stats().patterns).toBe(model.inference.talora.size);

    const reply = engine.respond('What is a dog?');
    expect(reply.prompt).toEqual({ text: 'dog: ', kind: 'definition', maxNewTokens: 32, trimmed: false });
    expect(reply.tokensGenerated).toBe(32);
    expect(reply.text).toHaveLength(32);
    expect(reply.steps).toBe(16);
    expect(reply.tfBackend).toBe('wasm');
    // The same generation straight through the inference: the engine adds nothing of its own.
    const direct = model.inference.generate('dog: ', { maxNewTokens: 32, steps: 16 });
    expect(reply.text).toBe(direct.text);
    expect(reply.dgrRetrievals).toBe(direct.trajectory.dgrRetrievals);
    expect(reply.patterns).toEqual([...new Set(direct.trajectory.steps.flatMap((s) => s.sources))]);
    expect(reply.patterns.length).toBeGreaterThan(0);
    for (const id of reply.patterns) expect(model.inference.talora.has(id)).toBe(true);
    expect(engine.log.transcript).toEqual([{ query: 'What is a dog?', prompt: 'dog: ', text: reply.text, rating: null }]);

    const short = engine.respond('a small domesticated animal that barks at strangers', 24);
    expect(short.prompt.kind).toBe('continuation');
    expect(short.tokensGenerated).toBe(24);
    expect(short.text).toHaveLength(24);
    expect(engine.stats().requests).toBe(2);
  });

  it('👍 then 👎 step the personal adapter once per generated character and update the patterns used', async () => {
    const model = await createChatModel(FILES, new MemoryByteStore(), { simd });
    const engine = engineOf(model);
    const talora = model.inference.talora;
    const first = engine.respond('dog');
    const counts = new Map(first.patterns.map((id) => [id, talora.get(id)!.metrics.feedbackCount]));
    const crc0 = engine.stats().weightsCrc;

    const up = engine.rate(first.id, 'up');
    expect(up).toMatchObject({ learnerEvents: 32, patternsUpdated: first.patterns.length, deltaNormBefore: 0 });
    expect(up.deltaNormAfter).toBeGreaterThan(0);
    expect(up.record).toEqual({ at: 1_700_000_000_000, quality: 1, prompt: 'dog: ', avgQuality: 1 });
    for (const id of first.patterns) {
      expect(talora.get(id)!.metrics.feedbackCount).toBe(counts.get(id)! + 1);
    }
    const afterUp = engine.stats();
    expect(afterUp).toMatchObject({ samplesSeen: 32, updatesApplied: 1, avgQuality: 1, ratings: 1 });
    expect(afterUp.weightsCrc).not.toBe(crc0);
    expect(engine.canRate(first.id)).toBe(false);
    expect(await codeOf(() => engine.rate(first.id, 'down'))).toBe('NOT_FOUND');

    const second = engine.respond('cat', 24);
    expect(await codeOf(() => engine.rate(second.id, 'meh' as 'up'))).toBe('INVALID_ARGUMENT');
    expect(engine.canRate(second.id)).toBe(true); // a bad verdict consumes nothing
    const down = engine.rate(second.id, 'down');
    expect(down).toMatchObject({ learnerEvents: 24, deltaNormBefore: up.deltaNormAfter });
    expect(down.deltaNormAfter).not.toBe(down.deltaNormBefore);
    expect(engine.stats()).toMatchObject({ samplesSeen: 56, updatesApplied: 2, avgQuality: 32 / 56 });
    expect(engine.stats().weightsCrc).not.toBe(afterUp.weightsCrc);
    expect(engine.log.ratings.map((r) => r.quality)).toEqual([1, 0]);
    expect(engine.log.transcript.map((t) => t.rating)).toEqual(['up', 'down']);
  });

  it('restores the learner and the rated patterns exactly from what the page stores', async () => {
    const store = new MemoryByteStore();
    const model = await createChatModel(FILES, store, { simd });
    const engine = engineOf(model);
    engine.rate(engine.respond('oak').id, 'up');
    engine.rate(engine.respond('river', 40).id, 'down');
    await store.putMany(await modelStateRecords(model));

    const again = await createChatModel(FILES, store, { simd });
    expect(again.notes.map((n) => `${n.part}:${n.state}`)).toEqual(['learner:restored', 'patterns:restored']);
    expect(again.inference.learner!.exportState()).toEqual(model.inference.learner!.exportState());
    const restored = engineOf(again);
    const { requests: _r, ratings: _g, ...before } = engine.stats();
    expect(restored.stats()).toMatchObject(before);
    for (const p of model.inference.talora.patterns()) expect(again.inference.talora.get(p.id)!.metrics).toEqual(p.metrics);
    // Same adapter, same patterns: the same reply, token for token.
    expect(restored.respond('bread').text).toBe(engine.respond('bread').text);
  });

  it('starts afresh, saying why, when the stored state is damaged or was learnt on other files', async () => {
    const store = new MemoryByteStore();
    const model = await createChatModel(FILES, store, { simd });
    const engine = engineOf(model);
    engine.rate(engine.respond('oak').id, 'up');
    const records = new Map(await modelStateRecords(model));

    const learnerFile = decodeLearnerFile(records.get(STATE_RECORDS.learner)!);
    const patternFile = decodePatternFile(records.get(STATE_RECORDS.patterns)!);
    await store.putMany([
      [STATE_RECORDS.learner, encodeLearnerFile({ ...learnerFile, modelCrc: learnerFile.modelCrc ^ 1 })],
      [STATE_RECORDS.patterns, encodePatternFile({ ...patternFile, shippedCrc: patternFile.shippedCrc ^ 1 })],
    ]);
    const other = await createChatModel(FILES, store, { simd });
    const notes = Object.fromEntries(other.notes.map((n) => [n.part, n]));
    expect(notes['learner']).toMatchObject({ state: 'discarded' });
    expect(notes['learner']!.detail).toMatch(/^learnt on another model file \(CRC [0-9a-f]{8}; this page ships [0-9a-f]{8}\)$/);
    expect(notes['patterns']).toMatchObject({ state: 'discarded' });
    expect(notes['patterns']!.detail).toMatch(/^saved from other shipped files/);
    expect(other.inference.learner!.stats().samplesSeen).toBe(0);

    const damaged = records.get(STATE_RECORDS.learner)!.slice();
    damaged[100] = damaged[100]! ^ 0xff;
    await store.putMany([
      [STATE_RECORDS.learner, damaged],
      [STATE_RECORDS.patterns, records.get(STATE_RECORDS.patterns)!.subarray(0, 50)],
    ]);
    const fresh = await createChatModel(FILES, store, { simd });
    expect(fresh.notes.map((n) => `${n.part}:${n.state}:${n.detail.split(':')[0]}`)).toEqual(['learner:discarded:CORRUPT_DATA', 'patterns:discarded:CORRUPT_DATA']);
    const shipped = await createChatModel(FILES, new MemoryByteStore(), { simd });
    expect(crcOf(fresh.inference.learner!.lora.a)).toBe(crcOf(shipped.inference.learner!.lora.a));
    expect(fresh.inference.talora.size).toBe(shipped.inference.talora.size);
  });

  it('re-scores the history: one row per past prompt (its embedding) through the personal adapter', async () => {
    const model = await createChatModel(FILES, new MemoryByteStore(), { simd });
    const engine = engineOf(model);
    expect(engine.historyBatch().rows).toBe(0);
    engine.rate(engine.respond('dog').id, 'up');
    engine.respond('the quick brown fox jumps over');
    const batch = engine.historyBatch();
    expect(batch.rows).toBe(2);
    expect(batch.adapters).toEqual([model.inference.learner!.lora]);
    expect(Array.from(batch.adapterIndex)).toEqual([0, 0]);
    const { dim } = model.inference.model.config;
    expect(batch.hidden).toHaveLength(2 * dim);
    expect(batch.hidden.subarray(dim, 2 * dim)).toEqual(model.inference.model.embedQuery('the quick brown fox jumps over '));
    // The model's micro-tier SimdOps (simd-tfjs on tfjs-wasm here) against the WebAssembly SIMD backend.
    const check = rescoreHistory(model.inference.model.simd, simd, batch.adapters, batch.adapterIndex, batch.hidden, batch.rows);
    expect(check.agrees).toBe(true);
  });

  it('rejects messages it cannot turn into a prompt, and an inference without a learner', async () => {
    const model = await createChatModel(FILES, new MemoryByteStore(), { simd });
    const engine = engineOf(model);
    expect(await codeOf(() => engine.respond('  ?! '))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => engine.respond('x'.repeat(MAX_MESSAGE_LENGTH + 1)))).toBe('OUT_OF_RANGE');
    expect(await codeOf(() => engine.respond('dog', 64))).toBe('OUT_OF_RANGE');
    expect(engine.log.transcript).toEqual([]);
    const { inference } = model;
    const withoutLearner = Object.assign(Object.create(Object.getPrototypeOf(inference) as object) as typeof inference, inference, { learner: undefined });
    expect(await codeOf(() => new ChatEngine({ inference: withoutLearner, log: emptySessionLog(), tfBackend: 'wasm' }))).toBe('INVALID_ARGUMENT');
  });
});
