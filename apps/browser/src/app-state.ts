import { createMicroLora, isMicroLoraError, loadMicroLora, type IndexFactory, type MicroLora } from 'microlora';
import { MicroLoraConfigWasm, MicroLoraWasm } from 'microlora/compat';
import { ChatEngine } from './chat-engine.js';
import type { ByteStore } from './idb-bytes.js';
import { ResponseHead } from './response-head.js';
import { RESPONSE_STYLES } from './response-styles.js';
import { seedPatterns } from './seed-patterns.js';
import { decodeSessionLog, emptySessionLog, encodeSessionLog, type SessionLog } from './session-log.js';

/** Attention with a low temperature favours the closest pattern (blended scores sit close together). */
export const APP_COMPOSER = { strategy: 'attention', options: { temperature: 0.05 } } as const;
/** The page has no timesteps: one bank over [0, 1]. */
export const APP_BOUNDARIES: readonly number[] = [0, 1];
export const APP_MAX_PATTERNS = 5000;
/**
 * Similarity dominates the blended score: with the defaults (0.5 / 0.3 / 0.2) a single
 * thumbs-up lifts a pattern's successRate from 0.5 to 1 and outranks far better matches.
 * minSimilarity 0.55 (cosine ≥ 0.1) keeps unrelated patterns out of the composite.
 */
export const APP_BANK_SETTINGS = {
  scoring: { similarity: 0.8, quality: 0.15, recency: 0.05 },
  minSimilarity: 0.55,
} as const;
export const APP_HIDDEN_SIZE = 768;
/** Seed of the user adapter's initial A (B starts at zero, so a new adapter changes nothing). */
export const USER_ADAPTER_SEED = 2024;

/** localStorage keys: the compat adapter's toJson() and the ratings/transcript log. */
export const STORAGE_KEYS = { adapter: 'microlora-app:adapter', session: 'microlora-app:session' } as const;
/** IndexedDB record holding MicroLora.save() (patterns, their metrics and the hnswlib-wasm graph). */
export const UMBRELLA_RECORD = { database: 'microlora-app', store: 'state', key: 'umbrella' } as const;

/** The part of Web Storage the app uses (localStorage in the page, a Map-backed fake in tests). */
export type KeyValueStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export type RestoredPart = 'adapter' | 'session' | 'patterns';
export interface RestoreNote {
  part: RestoredPart;
  /** restored: read back; fresh: nothing was stored; discarded: stored data was unreadable (detail says why). */
  state: 'restored' | 'fresh' | 'discarded';
  detail: string;
}

export interface RestoreOptions {
  storage: KeyValueStorage;
  bytes: ByteStore;
  /** A new index factory per MicroLoRA instance (hnswlib-wasm in the page); default: the exact flat index. */
  index?: () => Promise<IndexFactory>;
  head?: ResponseHead;
  now?: () => number;
}

export interface RestoredApp {
  engine: ChatEngine;
  notes: RestoreNote[];
  /** Whether the patterns were created fresh (then they should be saved once). */
  freshPatterns: boolean;
}

export function createUserAdapter(): MicroLoraWasm {
  const config = new MicroLoraConfigWasm();
  config.rank = 2;
  config.alpha = 4;
  config.inFeatures = APP_HIDDEN_SIZE;
  config.outFeatures = APP_HIDDEN_SIZE;
  config.seed = USER_ADAPTER_SEED;
  return new MicroLoraWasm(config);
}

async function freshMicroLora(head: ResponseHead, index: RestoreOptions['index']): Promise<MicroLora> {
  const micro = createMicroLora({
    index: index === undefined ? 'exact' : await index(),
    boundaries: APP_BOUNDARIES,
    hiddenSize: APP_HIDDEN_SIZE,
    maxPatternsPerBank: APP_MAX_PATTERNS,
    bank: APP_BANK_SETTINGS,
    composer: APP_COMPOSER,
  });
  seedPatterns(micro, head);
  return micro;
}

function describe(error: unknown): string {
  if (isMicroLoraError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Rebuilds the app from what the last visit stored — the user adapter from its
 * toJson() in localStorage, the ratings log beside it, and the MicroLoRA patterns
 * from IndexedDB — starting any unreadable part afresh and saying why in the notes.
 */
export async function restoreApp(options: RestoreOptions): Promise<RestoredApp> {
  const { storage, bytes } = options;
  const head = options.head ?? new ResponseHead(RESPONSE_STYLES.length, APP_HIDDEN_SIZE);
  const notes: RestoreNote[] = [];

  let adapter: MicroLoraWasm | undefined;
  const adapterJson = storage.getItem(STORAGE_KEYS.adapter);
  if (adapterJson !== null) {
    try {
      adapter = MicroLoraWasm.fromJson(adapterJson);
      const c = adapter.getConfig();
      if (c.inFeatures !== APP_HIDDEN_SIZE || c.outFeatures !== APP_HIDDEN_SIZE) {
        throw new Error(`the stored adapter is ${c.inFeatures} → ${c.outFeatures}, the page needs ${APP_HIDDEN_SIZE} → ${APP_HIDDEN_SIZE}`);
      }
      notes.push({ part: 'adapter', state: 'restored', detail: `localStorage, ${adapterJson.length} characters` });
    } catch (error) {
      adapter = undefined;
      notes.push({ part: 'adapter', state: 'discarded', detail: describe(error) });
    }
  } else {
    notes.push({ part: 'adapter', state: 'fresh', detail: 'nothing stored yet' });
  }

  let log: SessionLog = emptySessionLog();
  const sessionJson = storage.getItem(STORAGE_KEYS.session);
  if (sessionJson !== null) {
    try {
      log = decodeSessionLog(sessionJson);
      notes.push({ part: 'session', state: 'restored', detail: `${log.ratings.length} ratings, ${log.transcript.length} messages` });
    } catch (error) {
      notes.push({ part: 'session', state: 'discarded', detail: describe(error) });
    }
  } else {
    notes.push({ part: 'session', state: 'fresh', detail: 'nothing stored yet' });
  }

  let micro: MicroLora | undefined;
  let stored: Uint8Array | undefined;
  try {
    stored = await bytes.get(UMBRELLA_RECORD.key);
  } catch (error) {
    notes.push({ part: 'patterns', state: 'discarded', detail: describe(error) });
  }
  if (stored !== undefined) {
    try {
      micro = await loadMicroLora(stored, {
        composer: APP_COMPOSER,
        ...(options.index === undefined ? {} : { index: await options.index() }),
      });
      notes.push({ part: 'patterns', state: 'restored', detail: `IndexedDB, ${stored.length} bytes` });
    } catch (error) {
      notes.push({ part: 'patterns', state: 'discarded', detail: describe(error) });
    }
  } else if (!notes.some((n) => n.part === 'patterns')) {
    notes.push({ part: 'patterns', state: 'fresh', detail: 'seeded with the starter corpus' });
  }
  const freshPatterns = micro === undefined;
  micro ??= await freshMicroLora(head, options.index);

  const engine = new ChatEngine({
    micro,
    adapter: adapter ?? createUserAdapter(),
    log,
    head,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  return { engine, notes, freshPatterns };
}

/** Writes the user adapter's toJson() and the session log to localStorage (synchronous, small). */
export function saveUserState(storage: KeyValueStorage, engine: ChatEngine): void {
  storage.setItem(STORAGE_KEYS.adapter, engine.adapter.toJson());
  storage.setItem(STORAGE_KEYS.session, encodeSessionLog(engine.log));
}

/** Forgets everything the page stored. */
export async function clearStoredState(storage: KeyValueStorage, bytes: ByteStore): Promise<void> {
  storage.removeItem(STORAGE_KEYS.adapter);
  storage.removeItem(STORAGE_KEYS.session);
  await bytes.delete(UMBRELLA_RECORD.key);
}
