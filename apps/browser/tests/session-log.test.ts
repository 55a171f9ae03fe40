import { describe, expect, it } from 'vitest';
import {
  MAX_RATINGS,
  MAX_TRANSCRIPT,
  appendRating,
  appendTranscript,
  decodeSessionLog,
  emptySessionLog,
  encodeSessionLog,
} from '../src/session-log.js';
import { codeOf } from './helpers.js';

describe('session log', () => {
  it('round-trips ratings and transcript', () => {
    const log = emptySessionLog();
    appendRating(log, { at: 5, quality: 1, prompt: 'dog: ', avgQuality: 1 });
    appendRating(log, { at: 6, quality: 0, prompt: 'cat: ', avgQuality: 0.5 });
    appendTranscript(log, { query: 'q "quoted"', prompt: 'q quoted ', text: 't', rating: null });
    expect(decodeSessionLog(encodeSessionLog(log))).toEqual(log);
  });

  it('keeps only the newest entries past the caps', () => {
    const log = emptySessionLog();
    for (let i = 0; i < MAX_RATINGS + 3; i++) appendRating(log, { at: i, quality: 1, prompt: 'p: ', avgQuality: 1 });
    for (let i = 0; i < MAX_TRANSCRIPT + 2; i++) appendTranscript(log, { query: `q${i}`, prompt: 'p: ', text: 't', rating: 'up' });
    expect(log.ratings).toHaveLength(MAX_RATINGS);
    expect(log.ratings[0]?.at).toBe(3);
    expect(log.transcript).toHaveLength(MAX_TRANSCRIPT);
    expect(log.transcript[0]?.query).toBe('q2');
  });

  it('rejects damaged or foreign documents with codes', () => {
    const good = JSON.parse(encodeSessionLog(emptySessionLog())) as Record<string, unknown>;
    const variant = (change: Record<string, unknown>) => JSON.stringify({ ...good, ...change });
    expect(codeOf(() => decodeSessionLog('{'))).toBe('CORRUPT_DATA');
    expect(codeOf(() => decodeSessionLog('[]'))).toBe('CORRUPT_DATA');
    expect(codeOf(() => decodeSessionLog(variant({ format: 'other' })))).toBe('CORRUPT_DATA');
    expect(codeOf(() => decodeSessionLog(variant({ version: 1 })))).toBe('UNSUPPORTED_VERSION'); // the canned-style log
    expect(codeOf(() => decodeSessionLog(variant({ version: 3 })))).toBe('UNSUPPORTED_VERSION');
    expect(codeOf(() => decodeSessionLog(variant({ ratings: [{ at: 1, quality: 0.5, prompt: 'p: ', avgQuality: 0.5 }] })))).toBe('CORRUPT_DATA');
    expect(codeOf(() => decodeSessionLog(variant({ ratings: [{ at: 1, quality: 1, prompt: 'p: ', avgQuality: 1.5 }] })))).toBe('CORRUPT_DATA');
    expect(codeOf(() => decodeSessionLog(variant({ ratings: [{ at: null, quality: 1, prompt: 'p: ', avgQuality: 1 }] })))).toBe('CORRUPT_DATA');
    expect(codeOf(() => decodeSessionLog(variant({ transcript: [{ query: 'q', prompt: 'p: ', text: 't', rating: 'meh' }] })))).toBe('CORRUPT_DATA');
    expect(codeOf(() => decodeSessionLog(variant({ transcript: 'no' })))).toBe('CORRUPT_DATA');
    expect(codeOf(() => decodeSessionLog(variant({ ratings: [{ at: 1, quality: 1, style: 'concise', avgQuality: 1 }] })))).toBe('CORRUPT_DATA');
    expect(codeOf(() => decodeSessionLog(variant({ transcript: [{ query: 'q', style: 's', text: 't', rating: null }] })))).toBe('CORRUPT_DATA');
  });
});
