import { connect } from 'node:net';
import { SeededRng, decodeJson, encodeJson, isCompressedLora, type LoraWeights } from 'microlora';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeF32LoraJson, loraFromJson, type F32LoraJson } from '../src/lora-json.js';
import { createService, type MicroLoraService } from '../src/service/create-service.js';
import { statusForCode } from '../src/service/http-error.js';
import { PatternStore } from '../src/store/pattern-store.js';
import { SMALL, compressedLora, referenceApply, removeTempDirs, tempDir, trainedLora } from './helpers.js';

const HIDDEN = SMALL.hiddenSize as number;
const DIMENSION = SMALL.dimension as number;
const MAX_BODY = 64 * 1024;

let store: PatternStore;
let service: MicroLoraService;
let url: string;
let port: number;
let dataDir: string;
const logged: string[] = [];

beforeAll(async () => {
  dataDir = await tempDir();
  store = await PatternStore.open(dataDir, { config: SMALL });
  service = createService({ store, maxBodyBytes: MAX_BODY, bodyTimeoutMs: 400, log: (m) => logged.push(m) });
  ({ url, port } = await service.listen(0, '127.0.0.1'));
});

afterAll(async () => {
  await service.close();
  await store.close();
  await removeTempDirs();
});

interface Answer {
  status: number;
  body: { error?: { code: string; message: string; details?: Record<string, unknown> } } & Record<string, unknown>;
  headers: Headers;
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'], headers: response.headers };
}

async function get(path: string): Promise<Answer> {
  const response = await fetch(`${url}${path}`);
  return { status: response.status, body: (await response.json()) as Answer['body'], headers: response.headers };
}

/** Sends raw bytes on a new connection; resolves with everything the server wrote before closing. */
function raw(request: string | Buffer, options: { endAfterMs?: number; keepWriting?: Buffer } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => resolve(received));
    socket.on('close', () => resolve(received));
    socket.write(request);
    if (options.keepWriting !== undefined) {
      const chunk = options.keepWriting;
      const pump = (): void => {
        if (socket.destroyed) return;
        socket.write(chunk, () => setImmediate(pump));
      };
      pump();
    }
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within 5 s; got ${received.slice(0, 200)}`));
    }, 5000).unref();
  });
}

function statusOf(rawAnswer: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(rawAnswer)?.[1]);
}

function jsonOf(rawAnswer: string): { error: { code: string } } {
  return JSON.parse(rawAnswer.slice(rawAnswer.indexOf('\r\n\r\n') + 4)) as { error: { code: string } };
}

const compressedJson = (seed: number): unknown => JSON.parse(encodeJson(compressedLora(HIDDEN, seed)));

describe('POST /patterns', () => {
  it('stores one pattern given as query text and the int8 JSON codec (201)', async () => {
    const answer = await post('/patterns', { id: 'portrait', query: 'portrait photo soft evening light', lora: compressedJson(1), timestepRange: [0, 0.5] });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({ inserted: [{ id: 'portrait', banks: [0, 1], replaced: false }], evictedIds: [] });
    expect(store.micro.hasPattern('portrait')).toBe(true);
  });

  it('stores a batch: an embedding, raw f32 factors, the codec as text, a default id', async () => {
    const embedding = Array.from(store.micro.embed('legal contract liability clause'));
    const answer = await post('/patterns', {
      patterns: [
        { id: 'contract', embedding, lora: encodeF32LoraJson(trainedLora(HIDDEN, 2)), metrics: { successRate: 0.8 } },
        { id: 'recipe', query: 'slow cooked tomato sauce recipe', lora: encodeJson(compressedLora(HIDDEN, 3)) },
        { query: 'mountain landscape at dawn', lora: compressedJson(4) },
      ],
    });
    expect(answer.status).toBe(201);
    const inserted = answer.body.inserted as { id: string }[];
    expect(inserted.map((p) => p.id).slice(0, 2)).toEqual(['contract', 'recipe']);
    expect(store.micro.hasPattern(inserted[2]!.id)).toBe(true);
    expect(store.micro.manager.get('contract')?.metrics.successRate).toBe(0.8);
  });

  it('answers 409 for a taken id, and replaces it with replace: true', async () => {
    const taken = await post('/patterns', { id: 'recipe', query: 'again', lora: compressedJson(5) });
    expect(taken.status).toBe(409);
    expect(taken.body.error?.code).toBe('DUPLICATE_ID');
    const replaced = await post('/patterns', { patterns: [{ id: 'recipe', query: 'tomato sauce', lora: compressedJson(5) }], replace: true });
    expect(replaced.status).toBe(201);
    expect((replaced.body.inserted as { replaced: boolean }[])[0]?.replaced).toBe(true);
  });

  it('maps bad weights and shapes to 422 with the library’s error code', async () => {
    const cases: [unknown, string][] = [
      [{ query: 'x y', lora: JSON.parse(encodeJson(compressedLora(16, 1))) }, 'DIMENSION_MISMATCH'],
      [{ query: 'x y', lora: JSON.parse(encodeJson(compressedLora(HIDDEN, 1, 8))) }, 'RANK_OUT_OF_RANGE'],
      [{ query: 'x y', lora: { ...(compressedJson(1) as object), rank: 3 } }, 'CORRUPT_DATA'],
      [{ query: 'x y', lora: '{"format":"microlora/compressed-lora","version":2}' }, 'UNSUPPORTED_VERSION'],
      [{ query: 'x y', lora: { ...encodeF32LoraJson(trainedLora(HIDDEN, 1)), a: 'AAAA' } }, 'DIMENSION_MISMATCH'],
      [{ query: 'x y', lora: { ...encodeF32LoraJson(trainedLora(HIDDEN, 1)), a: nonFiniteBase64() } }, 'NON_FINITE'],
      [{ query: 'x y', timestepRange: [0.9, 0.1], lora: compressedJson(1) }, 'OUT_OF_RANGE'],
    ];
    for (const [body, code] of cases) {
      const answer = await post('/patterns', body);
      expect({ code: answer.body.error?.code, status: answer.status }).toEqual({ code, status: statusForCode(code) });
      expect(answer.body.error?.message.length).toBeGreaterThan(10);
    }
  });

  it('rejects malformed requests with 400 INVALID_REQUEST naming the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ query: 'x', lora: compressedJson(1), extra: 1 }, /Unrecognized key/i],
      [{ lora: compressedJson(1) }, /^query: give exactly one of query/],
      [{ query: 'x', embedding: [1], lora: compressedJson(1) }, /^(query|embedding)/],
      [{ embedding: new Array(DIMENSION).fill('NaN'), lora: compressedJson(1) }, /^embedding\.0/],
      [{ embedding: [1, 2, 3], lora: compressedJson(1) }, /^embedding/],
      [{ query: 'x', lora: { format: 'something-else' } }, /^lora/],
      [{ query: 'x', lora: compressedJson(1), timestepRange: [0, 2] }, /^timestepRange\.1/],
      [{ query: 'x', lora: compressedJson(1), id: '' }, /^id/],
      [[{ query: 'x', lora: compressedJson(1) }], /one pattern object/],
      [{ patterns: [] }, /^patterns/],
      [{ query: 'x', lora: { ...encodeF32LoraJson(trainedLora(HIDDEN, 1)), a: 'not base64!' } }, /^lora/],
      [null, /expected object/i],
    ];
    for (const [body, message] of cases) {
      const answer = await post('/patterns', body);
      expect(answer.status, JSON.stringify(answer.body)).toBe(400);
      expect(answer.body.error?.code).toBe('INVALID_REQUEST');
      expect(answer.body.error?.message).toMatch(message);
    }
  });
});

function nonFiniteBase64(): string {
  const a = new Float32Array(2 * HIDDEN);
  a[5] = Number.POSITIVE_INFINITY;
  return Buffer.from(a.buffer).toString('base64');
}

describe('POST /adapter', () => {
  it('answers the composed adapter as exact f32 factors, with its sources and a requestId', async () => {
    const answer = await post('/adapter', { query: 'portrait photo in soft light', t: 0.2 });
    expect(answer.status).toBe(200);
    const adapter = loraFromJson(answer.body.adapter as F32LoraJson) as LoraWeights;
    const expected = store.micro.adapterWithSources('portrait photo in soft light', 0.2);
    expect(Array.from(adapter.a)).toEqual(Array.from(expected.adapter.a));
    expect(Array.from(adapter.b)).toEqual(Array.from(expected.adapter.b));
    expect(adapter.alpha).toBe(expected.adapter.alpha);
    const sources = answer.body.sources as { id: string; weight: number }[];
    expect(sources.map((s) => s.id)).toEqual(expected.sources.map((s) => s.id));
    expect(sources.map((s) => s.id)).toContain('portrait');
    expect(answer.body.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-z]+$/);
  });

  it('answers the adapted hidden state h + ΔW·h (float64 reference) when hidden is sent', async () => {
    const hidden = Array.from(new SeededRng(5).fillNormal(new Float32Array(HIDDEN)));
    const viaAdapter = await post('/adapter', { query: 'tomato sauce recipe', t: 0.7 });
    const adapter = loraFromJson(viaAdapter.body.adapter as F32LoraJson) as LoraWeights;
    const answer = await post('/adapter', { query: 'tomato sauce recipe', t: 0.7, hidden });
    expect(answer.status).toBe(200);
    const out = answer.body.hidden as number[];
    const reference = referenceApply(adapter, Float32Array.from(hidden));
    expect(out).toHaveLength(HIDDEN);
    let delta = 0;
    let error = 0;
    for (let i = 0; i < HIDDEN; i++) {
      delta += ((reference[i] as number) - (hidden[i] as number)) ** 2;
      error += ((out[i] as number) - (reference[i] as number)) ** 2;
    }
    expect(Math.sqrt(delta)).toBeGreaterThan(1e-3);
    expect(Math.sqrt(error / delta)).toBeLessThan(1e-5);
  });

  it('answers the int8 codec with encoding "int8", and takes the query as an embedding', async () => {
    const embedding = Array.from(store.micro.embed('legal contract clause'));
    const answer = await post('/adapter', { query: embedding, t: 0.9, encoding: 'int8' });
    expect(answer.status).toBe(200);
    const compressed = decodeJson(JSON.stringify(answer.body.adapter));
    expect(isCompressedLora(compressed)).toBe(true);
    expect(compressed.inFeatures).toBe(HIDDEN);
    expect((answer.body.sources as { id: string }[]).map((s) => s.id)).toContain('contract');
  });

  it('answers a query without any word with the zero adapter and no sources', async () => {
    const answer = await post('/adapter', { query: '   ', t: 0 });
    expect(answer.status).toBe(200);
    expect(answer.body.sources).toEqual([]);
    const adapter = loraFromJson(answer.body.adapter as F32LoraJson) as LoraWeights;
    expect(adapter.b.every((v) => v === 0)).toBe(true);
  });

  it('rejects bad requests with 400 naming the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ query: 'x' }, /^t:/],
      [{ query: 'x', t: 1.5 }, /^t:/],
      [{ query: 'x', t: '0.5' }, /^t:/],
      [{ query: 'x', t: 0.5, hidden: [1, 2] }, /^hidden/],
      [{ query: 'x', t: 0.5, hidden: new Array(HIDDEN).fill(null) }, /^hidden\.0/],
      [{ query: [1, 2, 3], t: 0.5 }, /^query/],
      [{ query: 'x', t: 0.5, encoding: 'f16' }, /^encoding/],
      [{ query: 42, t: 0.5 }, /^query/],
    ];
    for (const [body, message] of cases) {
      const answer = await post('/adapter', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error?.message).toMatch(message);
    }
  });
});

describe('POST /feedback', () => {
  it('rates the patterns of a request once, and answers their metrics', async () => {
    const served = await post('/adapter', { query: 'mountain landscape at dawn', t: 0.5 });
    const ids = (served.body.sources as { id: string }[]).map((s) => s.id);
    expect(ids.length).toBeGreaterThan(0);
    const before = new Map(ids.map((id) => [id, { ...store.micro.manager.get(id)!.metrics }]));
    const answer = await post('/feedback', { requestId: served.body.requestId, quality: 1, latencyMs: 12 });
    expect(answer.status).toBe(200);
    expect(answer.body.updated).toBe(ids.length);
    for (const p of answer.body.patterns as { id: string; metrics: { successRate: number; feedbackCount: number; usageCount: number } }[]) {
      const old = before.get(p.id)!;
      expect(p.metrics.feedbackCount).toBe(old.feedbackCount + 1);
      expect(p.metrics.usageCount).toBe(old.usageCount + 1);
      expect(p.metrics.successRate).toBeCloseTo(old.successRate + (1 - old.successRate) / (old.feedbackCount + 1), 12);
    }
    const again = await post('/feedback', { requestId: served.body.requestId, quality: 1 });
    expect(again.status).toBe(404);
    expect(again.body.error?.code).toBe('NOT_FOUND');
  });

  it('rates patterns by id, reporting unknown ones; all unknown → 404', async () => {
    const answer = await post('/feedback', { patternIds: ['portrait', 'ghost'], quality: 0.25, userId: 'u-1', denoisingQuality: 0.5 });
    expect(answer.status).toBe(200);
    expect(answer.body.unknownIds).toEqual(['ghost']);
    expect(answer.body.updated).toBe(1);
    expect((await post('/feedback', { patternIds: ['ghost'], quality: 0.25 })).status).toBe(404);
  });

  it('rejects bad feedback with 400', async () => {
    for (const body of [
      { quality: 0.5 },
      { requestId: 'x', patternIds: ['a'], quality: 0.5 },
      { patternIds: ['portrait'], quality: 1.01 },
      { patternIds: ['portrait'], quality: 'high' },
      { patternIds: ['portrait'], quality: 0.5, latencyMs: -1 },
      { patternIds: [], quality: 0.5 },
    ]) {
      const answer = await post('/feedback', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error?.code).toBe('INVALID_REQUEST');
    }
  });
});

describe('hostile and malformed traffic', () => {
  it('answers malformed JSON, wrong media types, unknown routes and methods with JSON errors', async () => {
    const malformed = await post('/adapter', '{"query": "x", "t": 0.5');
    expect([malformed.status, malformed.body.error?.code]).toEqual([400, 'INVALID_JSON']);
    const empty = await post('/adapter', '');
    expect([empty.status, empty.body.error?.code]).toEqual([400, 'INVALID_JSON']);
    const text = await post('/adapter', '{"query":"x","t":0.5}', { 'content-type': 'text/plain' });
    expect([text.status, text.body.error?.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const nowhere = await get('/nowhere');
    expect([nowhere.status, nowhere.body.error?.code]).toEqual([404, 'ROUTE_NOT_FOUND']);
    const wrongMethod = await get('/adapter');
    expect([wrongMethod.status, wrongMethod.body.error?.code, wrongMethod.headers.get('allow')]).toEqual([405, 'METHOD_NOT_ALLOWED', 'POST']);
    const deep = await post('/patterns', `${'['.repeat(30_000)}${']'.repeat(30_000)}`);
    expect(deep.status).toBe(400);
    const invalidUtf8 = Buffer.concat([Buffer.from('{"query":"'), Buffer.from([0xff, 0xfe]), Buffer.from('","t":0}')]);
    const bad = await raw(
      Buffer.concat([Buffer.from(`POST /adapter HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${invalidUtf8.length}\r\nconnection: close\r\n\r\n`), invalidUtf8]),
    );
    expect([statusOf(bad), jsonOf(bad).error.code]).toEqual([400, 'INVALID_JSON']);
  });

  it('answers 413 from Content-Length before reading, and mid-stream for chunked bodies', async () => {
    const declared = await raw(`POST /patterns HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${MAX_BODY + 1}\r\n\r\n{`);
    expect([statusOf(declared), jsonOf(declared).error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const chunk = Buffer.from(`2000\r\n${' '.repeat(0x2000)}\r\n`);
    const streamed = await raw(`POST /patterns HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`, { keepWriting: chunk });
    expect([statusOf(streamed), jsonOf(streamed).error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const viaFetch = await post('/patterns', { query: 'x'.repeat(MAX_BODY), lora: 'y' });
    expect(viaFetch.status).toBe(413);
  });

  it('answers 408 to a body that stops arriving (slowloris) and frees the connection', async () => {
    const started = Date.now();
    const slow = await raw(`POST /adapter HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"query":`);
    expect([statusOf(slow), jsonOf(slow).error.code]).toEqual([408, 'REQUEST_TIMEOUT']);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('answers 400 to garbage that is not HTTP', async () => {
    const garbage = await raw('HELLO THERE\r\n\r\n');
    expect(statusOf(garbage)).toBe(400);
  });

  it('turns an unexpected failure into a 500 without internals, and keeps serving', async () => {
    const spy = vi.spyOn(store.micro, 'adapterWithSources').mockImplementation(() => {
      throw new TypeError('secret internal detail');
    });
    try {
      const answer = await post('/adapter', { query: 'x', t: 0.5 });
      expect([answer.status, answer.body.error?.code]).toEqual([500, 'INTERNAL']);
      expect(JSON.stringify(answer.body)).not.toMatch(/secret/);
      expect(logged.some((line) => line.includes('secret internal detail'))).toBe(true);
    } finally {
      spy.mockRestore();
    }
    expect((await post('/adapter', { query: 'x', t: 0.5 })).status).toBe(200);
  });

  it('keeps answering after all of the above', async () => {
    const health = await get('/healthz');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');
  });
});

describe('GET /stats and error mapping', () => {
  it('reports patterns, the store, HTTP counters and memory', async () => {
    const stats = await get('/stats');
    expect(stats.status).toBe(200);
    const body = stats.body as unknown as {
      microlora: { patterns: number; dimension: number; hiddenSize: number };
      store: { journalRecords: number; failure: null };
      http: { requests: number; responses4xx: number; responses5xx: number };
      process: { rssBytes: number };
    };
    expect(body.microlora).toMatchObject({ patterns: store.micro.stats().patterns, dimension: DIMENSION, hiddenSize: HIDDEN });
    expect(body.store.journalRecords).toBeGreaterThan(3);
    expect(body.store.failure).toBeNull();
    expect(body.http.responses4xx).toBeGreaterThan(10);
    expect(body.http.responses5xx).toBe(1);
    expect(body.process.rssBytes).toBeGreaterThan(1 << 20);
  });

  it('maps every MicroLoraError code to a status', () => {
    expect(statusForCode('INVALID_ARGUMENT')).toBe(400);
    expect(statusForCode('NOT_FOUND')).toBe(404);
    expect(statusForCode('DUPLICATE_ID')).toBe(409);
    expect(statusForCode('CAPACITY_EXCEEDED')).toBe(413);
    expect(statusForCode('NON_FINITE')).toBe(422);
    expect(statusForCode('IO_ERROR')).toBe(503);
    expect(statusForCode('SOMETHING_NEW')).toBe(500);
  });

  it('persisted everything acknowledged: a reopened store holds the same patterns', async () => {
    const ids = store.micro.manager.patterns().map((p) => p.id).sort();
    const copy = await PatternStore.open(dataDir, { readOnly: true });
    expect(copy.micro.manager.patterns().map((p) => p.id).sort()).toEqual(ids);
    expect(copy.micro.manager.get('portrait')?.metrics).toEqual(store.micro.manager.get('portrait')?.metrics);
    await copy.close();
  });
});
