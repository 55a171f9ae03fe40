import { describe, expect, it } from 'vitest';
import { createMicroLora, isMicroLoraError, loadMicroLora } from 'microlora';
import { APP_COMPOSER, STORAGE_KEYS, UMBRELLA_RECORD, createUserAdapter, restoreApp, saveUserState } from '../src/app-state.js';
import { ChatEngine, USER_LEARNING_RATE } from '../src/chat-engine.js';
import { SEED_PATTERN_COUNT } from '../src/seed-patterns.js';
import type { ByteStore } from '../src/idb-bytes.js';
import { emptySessionLog } from '../src/session-log.js';
import { UmbrellaSaver } from '../src/umbrella-saver.js';
import { MemoryByteStore, MemoryStorage } from './helpers.js';

const TOPIC_QUERIES = [
  { query: 'easy pasta recipe with tomatoes and basil for dinner', topic: 'cooking', style: 'step-by-step' },
  { query: 'python function to read a csv file into dicts', topic: 'code', style: 'concise' },
  { query: 'what should I pack for a hiking weekend in the mountains', topic: 'travel', style: 'friendly' },
  { query: 'write a polite letter to my landlord about the broken heating', topic: 'letters', style: 'formal' },
];

async function freshApp() {
  const storage = new MemoryStorage();
  const bytes = new MemoryByteStore();
  const app = await restoreApp({ storage, bytes, now: () => 1_700_000_000_000 });
  return { storage, bytes, ...app };
}

/** logit(chosen) − mean logit, recovered from the probabilities. */
function margin(probabilities: number[], chosen: number): number {
  const logs = probabilities.map(Math.log);
  return logs[chosen]! - logs.reduce((a, b) => a + b, 0) / logs.length;
}

async function expectCode(run: () => unknown, code: string): Promise<void> {
  try {
    await run();
  } catch (error) {
    expect(isMicroLoraError(error) ? error.code : error).toBe(code);
    return;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

describe('ChatEngine', () => {
  it('starts with the seed patterns and answers each topic in the style its users liked', async () => {
    const { engine, notes, freshPatterns } = await freshApp();
    expect(freshPatterns).toBe(true);
    expect(notes.map((n) => `${n.part}:${n.state}`)).toEqual(['adapter:fresh', 'session:fresh', 'patterns:fresh']);
    expect(engine.stats()).toMatchObject({ patterns: SEED_PATTERN_COUNT, indexSize: SEED_PATTERN_COUNT, indexKind: 'flat', samplesSeen: 0, rank: 2, paramCount: 2 * (768 + 768) });
    for (const { query, topic, style } of TOPIC_QUERIES) {
      const response = engine.respond(query);
      expect(response.sources[0]?.id.startsWith(`${topic}-`), `${query} → ${response.sources[0]?.id}`).toBe(true);
      expect(response.style.id).toBe(style);
      expect(response.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(response.text).toContain(query);
    }
  });

  it('a thumbs-up teaches the adapter, updates the sources, stores a pattern and logs the rating', async () => {
    const { engine } = await freshApp();
    const crc = engine.stats().weightsCrc;
    const { query, style } = TOPIC_QUERIES[0]!;
    const response = engine.respond(query);
    const outcome = engine.rate(response.id, 'up');
    expect(outcome.learnt).toBe('gradient');
    expect(outcome.patternsUpdated).toBe(response.sources.length);
    expect(outcome.harvested).toBe('liked-0');
    expect(outcome.record).toEqual({ at: 1_700_000_000_000, quality: 1, style, avgQuality: 1 });
    const stats = engine.stats();
    expect(stats).toMatchObject({ samplesSeen: 1, avgQuality: 1, patterns: SEED_PATTERN_COUNT + 1, feedbacks: 1 });
    expect(stats.weightsCrc).not.toBe(crc);
    expect(engine.log.ratings).toEqual([outcome.record]);
    expect(engine.log.transcript.at(-1)).toMatchObject({ query, style, rating: 'up' });
    for (const source of response.sources) expect(engine.micro.manager.get(source.id)?.metrics.successRate).toBeGreaterThan(0.5);
    // The harvested pattern serves the same query best from now on.
    expect(engine.respond(query).sources[0]?.id).toBe('liked-0');
  });

  it('thumbs-down lowers the rated style against the others, thumbs-up raises it', async () => {
    const { engine } = await freshApp();
    const query = TOPIC_QUERIES[1]!.query;
    let previous = engine.respond(query);
    const chosen = previous.probabilities.indexOf(Math.max(...previous.probabilities));
    const margins = [margin(previous.probabilities, chosen)];
    for (const verdict of ['down', 'down', 'up'] as const) {
      engine.rate(previous.id, verdict);
      previous = engine.respond(query);
      margins.push(margin(previous.probabilities, chosen));
    }
    expect(margins[1]!).toBeLessThan(margins[0]!);
    expect(margins[2]!).toBeLessThan(margins[1]! - 0.5); // a step of USER_LEARNING_RATE moves it visibly
    expect(margins[3]!).toBeGreaterThan(margins[2]! + 0.5);
    expect(USER_LEARNING_RATE).toBeGreaterThan(0);
    expect(engine.stats()).toMatchObject({ samplesSeen: 3 });
    expect(engine.stats().avgQuality).toBeCloseTo(1 / 3, 12);
    expect(engine.log.ratings.map((r) => r.quality)).toEqual([0, 0, 1]);
    expect(engine.log.ratings.at(-1)?.avgQuality).toBeCloseTo(1 / 3, 12);
  });

  it('rejects bad queries and ratings with codes, changing nothing', async () => {
    const { engine } = await freshApp();
    await expectCode(() => engine.respond('   '), 'INVALID_ARGUMENT');
    await expectCode(() => engine.respond('x'.repeat(2001)), 'OUT_OF_RANGE');
    const response = engine.respond('pasta for dinner');
    await expectCode(() => engine.rate(response.id, 'sideways' as 'up'), 'INVALID_ARGUMENT');
    expect(engine.canRate(response.id)).toBe(true);
    engine.rate(response.id, 'down');
    expect(engine.canRate(response.id)).toBe(false);
    await expectCode(() => engine.rate(response.id, 'down'), 'NOT_FOUND');
    await expectCode(() => engine.rate(999, 'up'), 'NOT_FOUND');
    expect(engine.stats().samplesSeen).toBe(1);
  });

  it('refuses a user adapter or MicroLoRA of another size', async () => {
    const micro = createMicroLora({ index: 'exact', boundaries: [0, 1], dimension: 64, hiddenSize: 64 });
    await expectCode(() => new ChatEngine({ micro, adapter: createUserAdapter(), log: emptySessionLog() }), 'DIMENSION_MISMATCH');
    const uneven = createMicroLora({ index: 'exact', boundaries: [0, 1], dimension: 64, hiddenSize: 768 });
    await expectCode(() => new ChatEngine({ micro: uneven, adapter: createUserAdapter(), log: emptySessionLog() }), 'DIMENSION_MISMATCH');
  });
});

describe('restoreApp / saveUserState / UmbrellaSaver', () => {
  it('restores adapter, ratings, transcript and patterns exactly', async () => {
    const { engine, storage, bytes } = await freshApp();
    const ratings: ['up' | 'down', string][] = [['up', TOPIC_QUERIES[0]!.query], ['down', TOPIC_QUERIES[1]!.query], ['up', TOPIC_QUERIES[3]!.query]];
    for (const [verdict, query] of ratings) engine.rate(engine.respond(query).id, verdict);
    saveUserState(storage, engine);
    const saver = new UmbrellaSaver(engine.micro, bytes, UMBRELLA_RECORD.key);
    await saver.save();
    expect(saver.current).toMatchObject({ busy: false, saved: 1 });
    expect(saver.current.error).toBeUndefined();

    const again = await restoreApp({ storage, bytes });
    expect(again.freshPatterns).toBe(false);
    expect(again.notes.map((n) => `${n.part}:${n.state}`)).toEqual(['adapter:restored', 'session:restored', 'patterns:restored']);
    const before = engine.stats();
    const after = again.engine.stats();
    for (const key of ['samplesSeen', 'avgQuality', 'weightsCrc', 'patterns', 'indexSize', 'rank'] as const) expect(after[key]).toBe(before[key]);
    expect(after.patterns).toBe(SEED_PATTERN_COUNT + 2);
    expect(again.engine.log).toEqual(engine.log);
    const probe = 'quick dinner idea with pasta';
    const a = engine.respond(probe);
    const b = again.engine.respond(probe);
    expect(b.style.id).toBe(a.style.id);
    b.probabilities.forEach((p, i) => expect(p).toBeCloseTo(a.probabilities[i]!, 6));
  });

  it('discards unreadable stored parts with a reason and starts them afresh', async () => {
    const { engine, storage, bytes } = await freshApp();
    engine.rate(engine.respond(TOPIC_QUERIES[0]!.query).id, 'up');
    saveUserState(storage, engine);
    await new UmbrellaSaver(engine.micro, bytes, UMBRELLA_RECORD.key).save();
    storage.setItem(STORAGE_KEYS.adapter, '{"not":"an adapter"');
    storage.setItem(STORAGE_KEYS.session, JSON.stringify({ format: 'microlora-app-session', version: 99, ratings: [], transcript: [] }));
    const stored = bytes.records.get(UMBRELLA_RECORD.key)!;
    stored[Math.floor(stored.length / 2)]! ^= 0xff;

    const app = await restoreApp({ storage, bytes });
    const byPart = Object.fromEntries(app.notes.map((n) => [n.part, n]));
    expect(byPart['adapter']).toMatchObject({ state: 'discarded' });
    expect(byPart['adapter']!.detail).toMatch(/^CORRUPT_DATA/);
    expect(byPart['session']).toMatchObject({ state: 'discarded' });
    expect(byPart['session']!.detail).toMatch(/^UNSUPPORTED_VERSION/);
    expect(byPart['patterns']).toMatchObject({ state: 'discarded' });
    expect(byPart['patterns']!.detail).toMatch(/^CORRUPT_DATA/);
    expect(app.freshPatterns).toBe(true);
    expect(app.engine.stats()).toMatchObject({ samplesSeen: 0, patterns: SEED_PATTERN_COUNT });
    expect(app.engine.log.ratings).toEqual([]);
  });

  it('saves one file at a time and never leaves an older one last', async () => {
    const { engine, bytes } = await freshApp();
    const saver = new UmbrellaSaver(engine.micro, bytes, UMBRELLA_RECORD.key);
    const first = saver.save();
    expect(saver.save()).toBe(first); // not started yet: calls share it
    await Promise.resolve(); // now it has started
    engine.rate(engine.respond(TOPIC_QUERIES[0]!.query).id, 'up'); // one more pattern while the first save runs
    const second = saver.save();
    const third = saver.save(); // shares the queued second save
    expect(second).not.toBe(first);
    expect(third).toBe(second);
    await Promise.all([first, second, third]);
    expect(bytes.puts).toBe(2);
    const restored = await loadMicroLora(bytes.records.get(UMBRELLA_RECORD.key)!, { composer: APP_COMPOSER });
    expect(restored.stats().patterns).toBe(SEED_PATTERN_COUNT + 1);
    expect(saver.current).toMatchObject({ busy: false, saved: 2 });
  });

  it('reports a failed save in its state and clears it on the next success', async () => {
    const { engine, bytes } = await freshApp();
    const states: boolean[] = [];
    const failing: ByteStore = {
      get: (key) => bytes.get(key),
      delete: (key) => bytes.delete(key),
      put: () => Promise.reject(new Error('quota exceeded')),
    };
    const saver = new UmbrellaSaver(engine.micro, failing, UMBRELLA_RECORD.key, (s) => states.push(s.busy));
    await saver.save();
    expect(saver.current).toMatchObject({ busy: false, saved: 0, error: 'quota exceeded' });
    failing.put = (key: string, value: Uint8Array) => bytes.put(key, value);
    await saver.save();
    expect(saver.current.error).toBeUndefined();
    expect(saver.current.saved).toBe(1);
    expect(states.at(-1)).toBe(false);
  });
});
