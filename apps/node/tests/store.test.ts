import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ManualClock, SeededRng, encodeBinary } from 'microlora';
import { afterAll, describe, expect, it } from 'vitest';
import { journalFileName } from '../src/store/journal-file.js';
import { PatternStore, type PreparedPattern } from '../src/store/pattern-store.js';
import { SNAPSHOT_FILE } from '../src/store/snapshot-file.js';
import { SMALL, compressedLora, removeTempDirs, tempDir, trainedLora } from './helpers.js';

afterAll(removeTempDirs);

const HIDDEN = SMALL.hiddenSize as number;
/** One fixed time for the live run and the reload: recency scores (and so composite weights) then match exactly. */
const clock = new ManualClock(1_700_000_000_000);

function pattern(store: PatternStore, i: number, range: readonly [number, number] = [0, 1]): PreparedPattern {
  return { id: `p-${i}`, embedding: store.micro.embed(`topic ${i % 7} words ${i} alpha ${i * 3}`), lora: compressedLora(HIDDEN, i), timestepRange: range };
}

/** Everything a reload must reproduce: ids, weights, metrics, and the served adapters and outputs. */
function fingerprint(store: PatternStore): unknown {
  const patterns = store.micro.manager
    .patterns()
    .map((p) => ({ id: p.id, range: p.timestepRange, metrics: { ...p.metrics }, lora: Array.from(encodeBinary(p.lora)), banks: store.micro.manager.banksOf(p.id) }))
    .sort((a, b) => a.id.localeCompare(b.id));
  const hidden = new SeededRng(99).fillNormal(new Float32Array(HIDDEN));
  const outputs = ['topic 1 words', 'topic 3 alpha', 'nothing related'].flatMap((q) =>
    [0.1, 0.5, 0.9].map((t) => Array.from(store.micro.apply(hidden, store.micro.adapterFor(q, t)))),
  );
  return { patterns, outputs };
}

describe('PatternStore', () => {
  it('creates a data directory with a manifest and reloads inserts and feedback identically', async () => {
    const dir = await tempDir();
    const store = await PatternStore.open(dir, { clock, config: SMALL });
    expect((await readdir(dir)).sort()).toEqual(['LOCK', journalFileName(1), 'store.json']);
    const ranges: [number, number][] = [[0, 1], [0, 0.3], [0.4, 1], [0.7, 0.9]];
    const outcome = await store.insertPatterns(Array.from({ length: 12 }, (_, i) => pattern(store, i, ranges[i % 4])));
    // Replay must reproduce each record's time (createdAt, lastUsed), not the time of the reload.
    clock.advance(60_000);
    expect(outcome.inserted.map((p) => p.id)).toEqual(Array.from({ length: 12 }, (_, i) => `p-${i}`));
    // f32 weights are compressed by the bank; the journal keeps the stored int8 form.
    await store.insertPatterns([{ id: 'f32', embedding: store.micro.embed('float weights'), lora: trainedLora(HIDDEN, 50) }]);
    const fb = await store.feedback(['p-1', 'p-2', 'p-1', 'missing'], { quality: 1, latencyMs: 20, userId: 'u1' });
    expect(fb.updated).toBe(2);
    expect(fb.unknownIds).toEqual(['missing']);
    clock.advance(3_600_000);
    expect(fb.patterns.map((p) => [p.id, p.metrics.successRate, p.metrics.feedbackCount])).toEqual([
      ['p-1', 1, 1],
      ['p-2', 1, 1],
    ]);
    await store.feedback(['p-1'], { quality: 0, denoisingQuality: 0.5 });
    const before = fingerprint(store);
    await store.close();

    const reopened = await PatternStore.open(dir, { clock });
    expect(reopened.stats()).toMatchObject({ replayedRecords: 15, droppedTailBytes: 0, snapshot: null });
    expect(reopened.micro.manager.get('p-1')?.metrics.successRate).toBe(0.5);
    expect(fingerprint(reopened)).toEqual(before);
    await reopened.close();
  });

  it('checks a batch whole before changing anything', async () => {
    const dir = await tempDir();
    const store = await PatternStore.open(dir, { clock, config: SMALL });
    await store.insertPatterns([pattern(store, 0)]);
    const bad: [PreparedPattern[], string][] = [
      [[pattern(store, 1), pattern(store, 0)], 'DUPLICATE_ID'],
      [[pattern(store, 1), pattern(store, 1)], 'DUPLICATE_ID'],
      [[pattern(store, 1), { ...pattern(store, 2), embedding: new Float32Array(10) }], 'DIMENSION_MISMATCH'],
      [[pattern(store, 1), { ...pattern(store, 2), embedding: new Float32Array(64) }], 'INVALID_ARGUMENT'],
      [[pattern(store, 1), { ...pattern(store, 2), lora: compressedLora(16, 2) }], 'DIMENSION_MISMATCH'],
      [[pattern(store, 1), { ...pattern(store, 2), lora: compressedLora(HIDDEN, 2, 8) }], 'RANK_OUT_OF_RANGE'],
      [[pattern(store, 1), { ...pattern(store, 2), timestepRange: [0.8, 0.2] }], 'OUT_OF_RANGE'],
      [[], 'INVALID_ARGUMENT'],
    ];
    for (const [batch, code] of bad) {
      await expect(store.insertPatterns(batch)).rejects.toMatchObject({ code });
      expect(store.micro.stats().patterns).toBe(1);
    }
    expect(store.stats().journalRecords).toBe(1);
    const replaced = await store.insertPatterns([{ ...pattern(store, 0), lora: compressedLora(HIDDEN, 77) }], { replace: true });
    expect(replaced.inserted[0]?.replaced).toBe(true);
    await expect(store.feedback(['nope'], { quality: 0.5 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.feedback(['p-0'], { quality: 2 })).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
    await store.close();
    const reopened = await PatternStore.open(dir, { clock });
    expect(encodeBinary(reopened.micro.manager.get('p-0')!.lora)).toEqual(encodeBinary(compressedLora(HIDDEN, 77)));
    await reopened.close();
  });

  it('journals the patterns before an unforeseen failure part-way through a batch, and says which', async () => {
    const dir = await tempDir();
    const store = await PatternStore.open(dir, { clock, config: SMALL });
    // The first pattern is given the free id "p0", which the second then asks for explicitly.
    const { id: _ignored, ...anonymous } = pattern(store, 1);
    const failure = store.insertPatterns([anonymous, { ...pattern(store, 2), id: 'p0' }]);
    await expect(failure).rejects.toMatchObject({ code: 'DUPLICATE_ID', details: { inserted: ['p0'] } });
    await store.close();
    const reopened = await PatternStore.open(dir, { clock });
    expect(reopened.micro.manager.patterns().map((p) => p.id)).toEqual(['p0']);
    await reopened.close();
  });

  it('replays evictions so that the same patterns leave a full bank', async () => {
    const dir = await tempDir();
    const store = await PatternStore.open(dir, { clock, config: { ...SMALL, maxPatternsPerBank: 5, boundaries: [0, 1] } });
    for (let i = 0; i < 5; i++) await store.insertPatterns([pattern(store, i)]);
    // Feedback counts as use: p-0 and p-1 become the most recently used.
    await store.feedback(['p-0', 'p-1'], { quality: 0.9 });
    const outcome = await store.insertPatterns([pattern(store, 5), pattern(store, 6), pattern(store, 7)]);
    expect(outcome.evictedIds).toEqual(['p-2', 'p-3', 'p-4']);
    const before = fingerprint(store);
    await store.close();
    const reopened = await PatternStore.open(dir, { clock });
    expect(reopened.micro.manager.patterns().map((p) => p.id).sort()).toEqual(['p-0', 'p-1', 'p-5', 'p-6', 'p-7']);
    expect(fingerprint(reopened)).toEqual(before);
    await reopened.close();
  });

  it('snapshots when the journal passes its limit, then reloads snapshot + newer journal', async () => {
    const dir = await tempDir();
    const store = await PatternStore.open(dir, { clock, config: SMALL, snapshotBytes: 4000 });
    for (let i = 0; i < 8; i++) await store.insertPatterns([pattern(store, i)]);
    await store.snapshot();
    const files = await readdir(dir);
    expect(files).toContain(SNAPSHOT_FILE);
    const generation = store.stats().journalGeneration;
    expect(generation).toBeGreaterThan(1);
    expect(files.filter((f) => f.startsWith('journal-'))).toEqual([journalFileName(generation)]);
    expect(store.stats().snapshot?.generation).toBe(generation);
    clock.advance(1000);
    await store.insertPatterns([pattern(store, 100)]);
    clock.advance(1000);
    await store.feedback(['p-3'], { quality: 0.1 });
    const before = fingerprint(store);
    await store.close();

    const reopened = await PatternStore.open(dir, { clock });
    expect(reopened.stats().replayedRecords).toBeLessThanOrEqual(2);
    expect(fingerprint(reopened)).toEqual(before);
    await reopened.close();
  });

  it('keeps mutations issued while a snapshot is taken (before the switch: in the snapshot; after: in the new journal)', async () => {
    const dir = await tempDir();
    const store = await PatternStore.open(dir, { clock, config: SMALL });
    await store.insertPatterns([pattern(store, 0)]);
    let done = false;
    const snapshot = store.snapshot().finally(() => (done = true));
    let during = 0;
    while (!done) {
      during++;
      await Promise.all([store.insertPatterns([pattern(store, during)]), store.feedback(['p-0'], { quality: during % 2 })]);
    }
    await snapshot;
    await store.insertPatterns([pattern(store, 1000)]);
    expect(during).toBeGreaterThan(0);
    expect(store.stats().snapshot?.generation).toBe(2);
    const before = fingerprint(store);
    await store.close();
    const reopened = await PatternStore.open(dir, { clock });
    expect(reopened.stats().replayedRecords).toBeGreaterThanOrEqual(1);
    expect(reopened.stats().replayedRecords).toBeLessThanOrEqual(2 * during + 1);
    expect(fingerprint(reopened)).toEqual(before);
    await reopened.close();
  });

  it('drops a torn journal tail at open, truncates it and keeps appending after it', async () => {
    const dir = await tempDir();
    const store = await PatternStore.open(dir, { clock, config: SMALL });
    for (let i = 0; i < 3; i++) await store.insertPatterns([pattern(store, i)]);
    await store.close();
    const path = join(dir, journalFileName(1));
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 100));
    const reopened = await PatternStore.open(dir, { clock });
    expect(reopened.stats().droppedTailBytes).toBeGreaterThan(0);
    expect(reopened.micro.manager.patterns().map((p) => p.id).sort()).toEqual(['p-0', 'p-1']);
    await reopened.insertPatterns([pattern(reopened, 9)]);
    await reopened.close();
    const again = await PatternStore.open(dir, { clock });
    expect(again.stats().droppedTailBytes).toBe(0);
    expect(again.micro.manager.patterns().map((p) => p.id).sort()).toEqual(['p-0', 'p-1', 'p-9']);
    await again.close();
  });

  it('refuses damage it cannot attribute to a crash: an earlier journal, a snapshot, a lost journal', async () => {
    const dir = await tempDir();
    const store = await PatternStore.open(dir, { clock, config: SMALL });
    await store.insertPatterns([pattern(store, 0), pattern(store, 1)]);
    await store.snapshot();
    await store.insertPatterns([pattern(store, 2)]);
    await store.close();
    const generation = store.stats().journalGeneration;

    const snapshotPath = join(dir, SNAPSHOT_FILE);
    const snapshot = await readFile(snapshotPath);
    const damaged = Buffer.from(snapshot);
    damaged[damaged.length - 10]! ^= 0x01;
    await writeFile(snapshotPath, damaged);
    await expect(PatternStore.open(dir, { clock })).rejects.toMatchObject({ code: 'CORRUPT_DATA' });
    await writeFile(snapshotPath, snapshot);

    // A torn record in a journal that is not the last one.
    const current = join(dir, journalFileName(generation));
    const next = join(dir, journalFileName(generation + 1));
    const currentBytes = await readFile(current);
    await writeFile(current, currentBytes.subarray(0, currentBytes.length - 7));
    await writeFile(next, new Uint8Array([0x4d, 0x4c, 0x4a, 0x52, 1, 0, 0, 0]));
    await expect(PatternStore.open(dir, { clock })).rejects.toMatchObject({ code: 'CORRUPT_DATA' });
    await writeFile(current, currentBytes);

    // A gap: the journal right after the snapshot is missing.
    await writeFile(join(dir, journalFileName(generation + 2)), new Uint8Array([0x4d, 0x4c, 0x4a, 0x52, 1, 0, 0, 0]));
    const { unlink } = await import('node:fs/promises');
    await unlink(next);
    await expect(PatternStore.open(dir, { clock })).rejects.toMatchObject({ code: 'CORRUPT_DATA' });
    await unlink(join(dir, journalFileName(generation + 2)));

    const ok = await PatternStore.open(dir, { clock });
    expect(ok.micro.stats().patterns).toBe(3);
    await ok.close();
  });

  it('locks the directory against a second writer, and takes over a dead process’s lock', async () => {
    const dir = await tempDir();
    const store = await PatternStore.open(dir, { clock, config: SMALL });
    await expect(PatternStore.open(dir, { clock })).rejects.toMatchObject({ code: 'IO_ERROR', message: expect.stringMatching(/in use by process/) });
    const readOnly = await PatternStore.open(dir, { clock, readOnly: true });
    await expect(readOnly.insertPatterns([pattern(readOnly, 1)])).rejects.toMatchObject({ code: 'IO_ERROR' });
    await store.close();
    // A pid that cannot be running (above the kernel's pid limit).
    await writeFile(join(dir, 'LOCK'), '4194304999\n');
    const next = await PatternStore.open(dir, { clock });
    await next.close();
  });

  it('rejects settings that contradict an existing directory, and opening a missing one read-only', async () => {
    const dir = await tempDir();
    const store = await PatternStore.open(dir, { clock, config: SMALL });
    await store.close();
    await expect(PatternStore.open(dir, { clock, config: { hiddenSize: 768 } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(PatternStore.open(dir, { clock, config: { boundaries: [0, 1] } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const same = await PatternStore.open(dir, { clock, config: { hiddenSize: HIDDEN } });
    await same.close();
    await expect(PatternStore.open(join(dir, 'nothing-here'), { readOnly: true })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(PatternStore.open(await tempDir(), { config: { dimension: 0 } })).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
  });
});
