import { isMicroLoraError } from '@microlora/core';
import type { ByteStore } from './idb-bytes.js';
import { decodeSessionLog, emptySessionLog, encodeSessionLog, type SessionLog } from './session-log.js';

/** localStorage: the ratings (the chart) and the last messages. */
export const STORAGE_KEYS = { session: 'microlora-app:session' } as const;
/** IndexedDB records: the personal learner and the pattern bank with its rated metrics. */
export const STATE_RECORDS = { database: 'microlora-app', store: 'state', learner: 'learner', patterns: 'patterns' } as const;
/** What the page stored before it had a model (a compat adapter, a MicroLora file): removed on load. */
export const OBSOLETE_STORAGE_KEYS: readonly string[] = ['microlora-app:adapter'];
export const OBSOLETE_RECORDS: readonly string[] = ['umbrella'];

/** The part of Web Storage the app uses (localStorage in the page, a Map-backed fake in tests). */
export type KeyValueStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export type RestoredPart = 'session' | 'learner' | 'patterns';
export interface RestoreNote {
  part: RestoredPart;
  /** restored: read back; fresh: nothing was stored; discarded: stored data was unusable (detail says why). */
  state: 'restored' | 'fresh' | 'discarded';
  detail: string;
}

export function describeError(error: unknown): string {
  if (isMicroLoraError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** The session log from localStorage, or an empty one (with a note saying why). */
export function restoreSession(storage: KeyValueStorage): { log: SessionLog; note: RestoreNote } {
  const json = storage.getItem(STORAGE_KEYS.session);
  if (json === null) return { log: emptySessionLog(), note: { part: 'session', state: 'fresh', detail: 'nothing stored yet' } };
  try {
    const log = decodeSessionLog(json);
    return { log, note: { part: 'session', state: 'restored', detail: `${log.ratings.length} ratings, ${log.transcript.length} messages` } };
  } catch (error) {
    return { log: emptySessionLog(), note: { part: 'session', state: 'discarded', detail: describeError(error) } };
  }
}

/** Writes the session log to localStorage (synchronous, small). */
export function saveSession(storage: KeyValueStorage, log: SessionLog): void {
  storage.setItem(STORAGE_KEYS.session, encodeSessionLog(log));
}

/** Removes what earlier versions of the page stored and this one no longer reads. */
export async function removeObsoleteState(storage: KeyValueStorage, bytes: ByteStore): Promise<void> {
  for (const key of OBSOLETE_STORAGE_KEYS) storage.removeItem(key);
  for (const key of OBSOLETE_RECORDS) await bytes.delete(key);
}

/** Forgets everything the page stored. */
export async function clearStoredState(storage: KeyValueStorage, bytes: ByteStore): Promise<void> {
  storage.removeItem(STORAGE_KEYS.session);
  await bytes.delete(STATE_RECORDS.learner);
  await bytes.delete(STATE_RECORDS.patterns);
  await removeObsoleteState(storage, bytes);
}
