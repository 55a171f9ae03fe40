import { MicroLoraError } from 'microlora';

/** One rating, in the order given: the points of the quality chart. */
export interface RatingRecord {
  /** When it was given (ms since the epoch). */
  at: number;
  /** 1 for 👍, 0 for 👎. */
  quality: 0 | 1;
  /** The prompt of the rated reply. */
  prompt: string;
  /** The personal learner's mean quality right after this rating. */
  avgQuality: number;
}

/** One exchange of the chat, kept so the conversation survives a reload. */
export interface TranscriptEntry {
  /** The message as typed. */
  query: string;
  /** What the model was given (see buildPrompt). */
  prompt: string;
  /** The generated reply. */
  text: string;
  rating: 'up' | 'down' | null;
}

export interface SessionLog {
  ratings: RatingRecord[];
  transcript: TranscriptEntry[];
}

export const SESSION_LOG_FORMAT = 'microlora-app-session';
/** 2: model replies (prompt + generated text); version 1 held canned-style responses. */
export const SESSION_LOG_VERSION = 2;
/** Older entries are dropped past these lengths, so localStorage stays small. */
export const MAX_RATINGS = 2000;
export const MAX_TRANSCRIPT = 50;

export function emptySessionLog(): SessionLog {
  return { ratings: [], transcript: [] };
}

/** Appends, dropping the oldest entries beyond the caps. */
export function appendRating(log: SessionLog, record: RatingRecord): void {
  log.ratings.push(record);
  if (log.ratings.length > MAX_RATINGS) log.ratings.splice(0, log.ratings.length - MAX_RATINGS);
}

export function appendTranscript(log: SessionLog, entry: TranscriptEntry): void {
  log.transcript.push(entry);
  if (log.transcript.length > MAX_TRANSCRIPT) log.transcript.splice(0, log.transcript.length - MAX_TRANSCRIPT);
}

export function encodeSessionLog(log: SessionLog): string {
  return JSON.stringify({ format: SESSION_LOG_FORMAT, version: SESSION_LOG_VERSION, ...log });
}

function corrupt(reason: string): MicroLoraError {
  return new MicroLoraError('CORRUPT_DATA', `the saved session log is corrupt: ${reason}; clear it with the page's Reset button`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function decodeRating(value: unknown, i: number): RatingRecord {
  if (!isRecord(value)) throw corrupt(`ratings[${i}] is not an object`);
  const { at, quality, prompt, avgQuality } = value;
  if (typeof at !== 'number' || !Number.isFinite(at)) throw corrupt(`ratings[${i}].at is not a finite number`);
  if (quality !== 0 && quality !== 1) throw corrupt(`ratings[${i}].quality must be 0 or 1, got ${String(quality)}`);
  if (typeof prompt !== 'string') throw corrupt(`ratings[${i}].prompt is not a string`);
  if (typeof avgQuality !== 'number' || !(avgQuality >= 0 && avgQuality <= 1)) {
    throw corrupt(`ratings[${i}].avgQuality must be a number in [0, 1], got ${String(avgQuality)}`);
  }
  return { at, quality, prompt, avgQuality };
}

function decodeEntry(value: unknown, i: number): TranscriptEntry {
  if (!isRecord(value)) throw corrupt(`transcript[${i}] is not an object`);
  const { query, prompt, text, rating } = value;
  if (typeof query !== 'string' || typeof prompt !== 'string' || typeof text !== 'string') {
    throw corrupt(`transcript[${i}] needs string query, prompt and text`);
  }
  if (rating !== 'up' && rating !== 'down' && rating !== null) throw corrupt(`transcript[${i}].rating must be 'up', 'down' or null`);
  return { query, prompt, text, rating };
}

/** Parses what encodeSessionLog wrote; CORRUPT_DATA or UNSUPPORTED_VERSION otherwise. */
export function decodeSessionLog(json: string): SessionLog {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (cause) {
    throw new MicroLoraError('CORRUPT_DATA', 'the saved session log is not valid JSON; clear it with the page\'s Reset button', { cause });
  }
  if (!isRecord(parsed) || parsed['format'] !== SESSION_LOG_FORMAT) throw corrupt(`it is not a ${SESSION_LOG_FORMAT} document`);
  if (parsed['version'] !== SESSION_LOG_VERSION) {
    throw new MicroLoraError(
      'UNSUPPORTED_VERSION',
      `the saved session log has version ${String(parsed['version'])}; this page reads version ${SESSION_LOG_VERSION}`,
    );
  }
  const { ratings, transcript } = parsed;
  if (!Array.isArray(ratings) || ratings.length > MAX_RATINGS) throw corrupt(`ratings must be an array of at most ${MAX_RATINGS}`);
  if (!Array.isArray(transcript) || transcript.length > MAX_TRANSCRIPT) {
    throw corrupt(`transcript must be an array of at most ${MAX_TRANSCRIPT}`);
  }
  return { ratings: ratings.map(decodeRating), transcript: transcript.map(decodeEntry) };
}
