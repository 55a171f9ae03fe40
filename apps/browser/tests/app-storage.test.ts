import { describe, expect, it } from 'vitest';
import { OBSOLETE_RECORDS, OBSOLETE_STORAGE_KEYS, STATE_RECORDS, STORAGE_KEYS, clearStoredState, removeObsoleteState, restoreSession, saveSession } from '../src/app-storage.js';
import { appendRating, appendTranscript, emptySessionLog } from '../src/session-log.js';
import { MemoryByteStore, MemoryStorage } from './helpers.js';

describe('the stored session', () => {
  it('is fresh, then restored exactly, and discarded with the reason when unreadable', () => {
    const storage = new MemoryStorage();
    expect(restoreSession(storage)).toEqual({ log: emptySessionLog(), note: { part: 'session', state: 'fresh', detail: 'nothing stored yet' } });
    const log = emptySessionLog();
    appendTranscript(log, { query: 'What is a dog?', prompt: 'dog: ', text: 'a domesticated carnivorous mammal', rating: 'up' });
    appendRating(log, { at: 1, quality: 1, prompt: 'dog: ', avgQuality: 1 });
    saveSession(storage, log);
    expect(restoreSession(storage)).toEqual({ log, note: { part: 'session', state: 'restored', detail: '1 ratings, 1 messages' } });
    storage.setItem(STORAGE_KEYS.session, JSON.stringify({ format: 'microlora-app-session', version: 1, ratings: [], transcript: [] }));
    const old = restoreSession(storage);
    expect(old.log).toEqual(emptySessionLog());
    expect(old.note).toMatchObject({ part: 'session', state: 'discarded' });
    expect(old.note.detail).toMatch(/^UNSUPPORTED_VERSION: /);
  });
});

describe('clearing stored state', () => {
  it('removes the session, the learner, the patterns and what older pages stored', async () => {
    const storage = new MemoryStorage();
    const bytes = new MemoryByteStore();
    saveSession(storage, emptySessionLog());
    for (const key of OBSOLETE_STORAGE_KEYS) storage.setItem(key, 'old');
    await bytes.putMany([STATE_RECORDS.learner, STATE_RECORDS.patterns, ...OBSOLETE_RECORDS].map((key) => [key, Uint8Array.of(1)] as const));
    await removeObsoleteState(storage, bytes);
    expect([...storage.items.keys()]).toEqual([STORAGE_KEYS.session]);
    expect([...bytes.records.keys()]).toEqual([STATE_RECORDS.learner, STATE_RECORDS.patterns]);
    await clearStoredState(storage, bytes);
    expect(storage.items.size).toBe(0);
    expect(bytes.records.size).toBe(0);
  });
});
