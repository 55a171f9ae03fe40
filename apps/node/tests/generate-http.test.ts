import { MicroLoraError } from 'microlora';
import type { GenerationConfig, GenerationResult } from '@microlora/model-tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TextGenerator } from '../src/generation/text-generator.js';
import { createService, type MicroLoraService, type ServiceOptions } from '../src/service/create-service.js';
import { PatternStore } from '../src/store/pattern-store.js';
import { SMALL, removeTempDirs, tempDir } from './helpers.js';
import type { GenerationSummary } from '../src/generation/generation-request.js';

interface Answer {
  status: number;
  body: { error?: { code: string; message: string; details?: Record<string, unknown> } } & Record<string, unknown>;
}

interface Generated extends GenerationSummary {
  id: string;
}

interface GenerationStats {
  loaded: boolean;
  requests: number;
  meanLatencyMs: number | null;
  tokensGenerated: number;
  dgrRetrievals: number;
  feedback: number;
  rememberedResults: number;
}

/** A running service over a small temporary store; closed by afterAll. */
async function startService(options: Omit<ServiceOptions, 'store'> = {}) {
  const store = await PatternStore.open(await tempDir(), { config: SMALL });
  const logged: string[] = [];
  const service: MicroLoraService = createService({ store, log: (m) => logged.push(m), ...options });
  const { url } = await service.listen(0, '127.0.0.1');
  running.push(async () => {
    await service.close();
    await store.close();
  });
  const post = async (path: string, body: unknown): Promise<Answer> => {
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Answer['body'] };
  };
  const get = async (path: string): Promise<Answer> => {
    const response = await fetch(`${url}${path}`);
    return { status: response.status, body: (await response.json()) as Answer['body'] };
  };
  const generationStats = async (): Promise<GenerationStats> => (await get('/stats')).body.generation as GenerationStats;
  return { url, post, get, generationStats, logged };
}

const running: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(running.splice(0).map((stop) => stop()));
  await removeTempDirs();
});

describe('POST /generate with the pretrained model (loaded by the service on first use)', () => {
  let api: Awaited<ReturnType<typeof startService>>;
  const generate = async (body: Record<string, unknown>): Promise<Generated> => {
    const answer = await api.post('/generate', body);
    expect(answer.status, JSON.stringify(answer.body.error)).toBe(200);
    return answer.body as unknown as Generated;
  };
  beforeAll(async () => {
    api = await startService();
  });

  it('does not load the model before the first generation', async () => {
    expect(await api.generationStats()).toEqual({
      loaded: false,
      requests: 0,
      meanLatencyMs: null,
      tokensGenerated: 0,
      dgrRetrievals: 0,
      feedback: 0,
      rememberedResults: 0,
    });
  });

  it('answers the continuation, its steps and the patterns used', async () => {
    const answer = await generate({ query: 'dog:', maxNewTokens: 20, steps: 8, seed: 7 });
    expect(Object.keys(answer).sort()).toEqual(['dgrRetrievals', 'fullText', 'id', 'latencyMs', 'sources', 'steps', 'text', 'tokensGenerated']);
    expect(answer.id).toMatch(/^[0-9a-f]{8}-[0-9a-z]+$/);
    expect(answer.tokensGenerated).toBe(20);
    expect(answer.text).toHaveLength(20);
    expect(answer.fullText).toBe(`dog:${answer.text}`);
    expect(answer.latencyMs).toBeGreaterThan(0);
    // Steps run from the noisiest timestep down to 0.
    expect(answer.steps.map((s) => s.t)).toEqual([7, 6, 5, 4, 3, 2, 1, 0].map((k) => k / 8));
    for (const step of answer.steps) {
      expect(step.entropy).toBeGreaterThanOrEqual(0);
      expect(step.entropy).toBeLessThanOrEqual(1);
    }
    expect(answer.dgrRetrievals).toBe(answer.steps.filter((s) => s.dgr).length);
    expect(answer.dgrRetrievals).toBeLessThanOrEqual(2); // the model's default maxRetrievals
    expect(answer.sources).toEqual([...new Set(answer.steps.flatMap((s) => s.sources))]);
  });

  it('is deterministic: the same query and seed give the same text', async () => {
    const first = await generate({ query: 'oak:', maxNewTokens: 24, steps: 6, seed: 11, temperature: 0.8 });
    const second = await generate({ query: 'oak:', maxNewTokens: 24, steps: 6, seed: 11, temperature: 0.8 });
    expect(second.text).toBe(first.text);
    expect(second.sources).toEqual(first.sources);
    expect(second.id).not.toBe(first.id);
  });

  it('cuts the default length to fit the model’s 64 characters', async () => {
    expect((await generate({ query: 'cat:', steps: 2 })).tokensGenerated).toBe(32);
    expect((await generate({ query: 'x'.repeat(50), steps: 2 })).tokensGenerated).toBe(14);
    const longest = await generate({ query: 'y'.repeat(63), steps: 1 });
    expect([longest.tokensGenerated, longest.text.length]).toEqual([1, 1]);
  });

  it('switches denoising-guided retrieval off, or makes it fire on every step', async () => {
    const off = await generate({ query: 'run:', maxNewTokens: 16, steps: 6, dgr: false });
    expect(off.dgrRetrievals).toBe(0);
    expect(off.steps.every((s) => !s.dgr)).toBe(true);
    // Threshold 0: every step with masked characters left is uncertain enough.
    const eager = await generate({ query: 'run:', maxNewTokens: 16, steps: 6, dgr: { threshold: 0, maxRetrievals: 3 } });
    expect(eager.dgrRetrievals).toBe(3);
    expect(eager.steps.map((s) => s.dgr)).toEqual([true, true, true, false, false, false]);
  });

  it('applies feedback once per generation: the patterns used and one learner event per character', async () => {
    const answer = await generate({ query: 'tree:', maxNewTokens: 12, steps: 4, seed: 2 });
    const feedback = await api.post('/generate/feedback', { id: answer.id, quality: 1 });
    expect(feedback.status).toBe(200);
    expect(feedback.body).toMatchObject({ patterns: answer.sources.length, learnerEvents: 12 });
    const again = await api.post('/generate/feedback', { id: answer.id, quality: 0 });
    expect(again.status).toBe(404);
    expect(again.body.error?.code).toBe('NOT_FOUND');
    expect(again.body.error?.message).toMatch(/already rated/);
  });

  it('rejects bad generations with 400 INVALID_REQUEST naming the field, and too long ones with 413', async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /^query: /],
      [{ query: '' }, /^query: /],
      [{ query: 'q'.repeat(64) }, /^query: .*63/],
      [{ query: 7 }, /^query: /],
      [{ query: 'dog:', steps: 0 }, /^steps: /],
      [{ query: 'dog:', steps: 65 }, /^steps: /],
      [{ query: 'dog:', steps: 2.5 }, /^steps: /],
      [{ query: 'dog:', maxNewTokens: 0 }, /^maxNewTokens: /],
      [{ query: 'dog:', maxNewTokens: 64 }, /^maxNewTokens: /],
      [{ query: 'dog:', temperature: -0.1 }, /^temperature: /],
      [{ query: 'dog:', alpha: 1e9 }, /^alpha: /],
      [{ query: 'dog:', seed: 1.5 }, /^seed: /],
      [{ query: 'dog:', dgr: 'yes' }, /^dgr: /],
      [{ query: 'dog:', dgr: { threshold: 2 } }, /^dgr\.threshold: /],
      [{ query: 'dog:', dgr: { maxRetrievals: -1 } }, /^dgr\.maxRetrievals: /],
      [{ query: 'dog:', extra: true }, /Unrecognized key/i],
      [['dog:'], /^\(body\): /],
    ];
    for (const [body, message] of cases) {
      const answer = await api.post('/generate', body);
      expect({ status: answer.status, code: answer.body.error?.code }, JSON.stringify(body)).toEqual({ status: 400, code: 'INVALID_REQUEST' });
      expect(answer.body.error?.message, JSON.stringify(body)).toMatch(message);
    }
    const tooLong = await api.post('/generate', { query: 'z'.repeat(60), maxNewTokens: 10 });
    expect({ status: tooLong.status, code: tooLong.body.error?.code }).toEqual({ status: 413, code: 'LIMIT_EXCEEDED' });
    expect(tooLong.body.error?.message).toMatch(/ask for at most 4$/);
    expect(tooLong.body.error?.details).toEqual({ maxNewTokens: 10, limit: 4 });
    expect((await api.post('/generate', '{"query": "dog:"')).body.error?.code).toBe('INVALID_JSON');
    expect((await api.get('/generate')).status).toBe(405);
  });

  it('rejects bad feedback with 400, and unknown ids with 404', async () => {
    const cases: [unknown, RegExp][] = [
      [{ quality: 1 }, /^id: /],
      [{ id: '', quality: 1 }, /^id: /],
      [{ id: 'x', quality: 2 }, /^quality: /],
      [{ id: 'x', quality: -0.5 }, /^quality: /],
      [{ id: 'x' }, /^quality: /],
      [{ id: 'x', quality: 1, requestId: 'y' }, /Unrecognized key/i],
    ];
    for (const [body, message] of cases) {
      const answer = await api.post('/generate/feedback', body);
      expect({ status: answer.status, code: answer.body.error?.code }, JSON.stringify(body)).toEqual({ status: 400, code: 'INVALID_REQUEST' });
      expect(answer.body.error?.message).toMatch(message);
    }
    const unknown = await api.post('/generate/feedback', { id: 'deadbeef-0', quality: 1 });
    expect({ status: unknown.status, code: unknown.body.error?.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect(unknown.body.error?.message).toMatch(/"deadbeef-0" is unknown, expired or already rated \(the last 256 answers/);
  });

  it('reports generation in GET /stats and keeps serving', async () => {
    const stats = await api.generationStats();
    // 1 + 2 + 3 + 2 + 1 successful generations above.
    expect(stats).toMatchObject({ loaded: true, requests: 9, feedback: 1, rememberedResults: 8 });
    expect(stats.tokensGenerated).toBe(20 + 48 + 32 + 14 + 1 + 32 + 12);
    expect(stats.meanLatencyMs).toBeGreaterThan(0);
    expect(stats.dgrRetrievals).toBeGreaterThanOrEqual(3);
    expect((await api.get('/healthz')).status).toBe(200);
  });
});

/** A stand-in model: echoes the config it got and "generates" z's. */
function fakeGenerator(seqLen = 64): TextGenerator & { configs: GenerationConfig[]; feedbacks: number[] } {
  const configs: GenerationConfig[] = [];
  const feedbacks: number[] = [];
  return {
    model: { config: { seqLen } },
    configs,
    feedbacks,
    generate(query: string, config: GenerationConfig = {}): GenerationResult {
      configs.push(config);
      const n = config.maxNewTokens ?? 32;
      const text = 'z'.repeat(n);
      const steps = [{ step: 0, t: 0, sources: ['p1', 'p2'], entropy: 0.5, dgr: false, dgrMerged: false, entropyAfter: 0.5, latencyMs: 1 }];
      return {
        text,
        fullText: query + text,
        tokens: new Int32Array(seqLen),
        latencyMs: 1,
        tokensGenerated: n,
        trajectory: { query, embedding: new Float32Array(4), steps, filled: [], dgrRetrievals: 0, latencyMs: 1 },
      };
    },
    feedback(_result, quality) {
      feedbacks.push(quality);
      return { patterns: 2, learnerEvents: 0, harvested: 'h1' };
    },
  };
}

describe('POST /generate with an injected generator', () => {
  it('creates the generator once, on the first generation, even for concurrent requests', async () => {
    const fake = fakeGenerator();
    let created = 0;
    const api = await startService({
      createGenerator: async () => {
        created++;
        await new Promise((resolve) => setTimeout(resolve, 50));
        return fake;
      },
    });
    expect((await api.get('/stats')).status).toBe(200);
    expect(created).toBe(0);
    const answers = await Promise.all([1, 2, 3].map(() => api.post('/generate', { query: 'dog:', maxNewTokens: 5 })));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers.map((a) => a.body.text)).toEqual(['zzzzz', 'zzzzz', 'zzzzz']);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(3);
    expect(created).toBe(1);
  });

  it('passes every setting through to the model', async () => {
    const fake = fakeGenerator();
    const api = await startService({ createGenerator: () => Promise.resolve(fake) });
    await api.post('/generate', { query: 'dog:', maxNewTokens: 9, steps: 3, alpha: -0.5, temperature: 0.7, seed: -42, dgr: { threshold: 0.25, maxRetrievals: 4, weight: 0.3 } });
    await api.post('/generate', { query: 'dog:', dgr: true });
    await api.post('/generate', { query: 'x'.repeat(40), dgr: false });
    expect(fake.configs).toEqual([
      { maxNewTokens: 9, steps: 3, alpha: -0.5, temperature: 0.7, seed: -42, dgr: { enabled: true, threshold: 0.25, maxRetrievals: 4, weight: 0.3 } },
      { maxNewTokens: 32 },
      { maxNewTokens: 24, dgr: { enabled: false } },
    ]);
  });

  it('checks the query against the model’s own length (413 LIMIT_EXCEEDED)', async () => {
    const api = await startService({ createGenerator: () => Promise.resolve(fakeGenerator(16)) });
    const tooLong = await api.post('/generate', { query: 'q'.repeat(16) });
    expect({ status: tooLong.status, code: tooLong.body.error?.code }).toEqual({ status: 413, code: 'LIMIT_EXCEEDED' });
    expect(tooLong.body.error?.message).toMatch(/query is 16 characters; the model reads 16 .* at most 15/);
    expect((await api.post('/generate', { query: 'q'.repeat(15) })).body.tokensGenerated).toBe(1);
  });

  it('forwards feedback and its harvested pattern; forgets the oldest results past the limit', async () => {
    const fake = fakeGenerator();
    const api = await startService({ createGenerator: () => Promise.resolve(fake), rememberGenerations: 2 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await api.post('/generate', { query: 'dog:' })).body.id as string);
    const expired = await api.post('/generate/feedback', { id: ids[0], quality: 1 });
    expect({ status: expired.status, code: expired.body.error?.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
    const rated = await api.post('/generate/feedback', { id: ids[2], quality: 0.25 });
    expect(rated).toEqual({ status: 200, body: { patterns: 2, learnerEvents: 0, harvested: 'h1' } });
    expect(fake.feedbacks).toEqual([0.25]);
    expect(await api.generationStats()).toMatchObject({ loaded: true, requests: 3, feedback: 1, rememberedResults: 1, meanLatencyMs: 1 });
  });

  it('answers 503 while the model fails to load, logs why, and retries on the next request', async () => {
    let attempts = 0;
    const api = await startService({
      createGenerator: () => {
        attempts++;
        if (attempts === 1) throw new Error('wasm exploded');
        if (attempts === 2) return Promise.reject(new MicroLoraError('IO_ERROR', 'cannot read model weights at /nowhere'));
        return Promise.resolve(fakeGenerator());
      },
    });
    const first = await api.post('/generate', { query: 'dog:' });
    expect({ status: first.status, code: first.body.error?.code }).toEqual({ status: 503, code: 'BACKEND_UNAVAILABLE' });
    expect(first.body.error?.message).toMatch(/failed to load .* the next request tries again/);
    expect(first.body.error?.message).not.toMatch(/exploded/);
    expect(api.logged.join('\n')).toMatch(/loading the text model failed: Error: wasm exploded/);
    const second = await api.post('/generate', { query: 'dog:' });
    expect({ status: second.status, code: second.body.error?.code }).toEqual({ status: 503, code: 'IO_ERROR' });
    expect((await api.generationStats()).loaded).toBe(false);
    expect((await api.post('/generate', { query: 'dog:' })).status).toBe(200);
    expect(attempts).toBe(3);
  });

  it('answers 500 without internals when the model throws unexpectedly, and keeps serving', async () => {
    const fake = fakeGenerator();
    let fail = true;
    const generate = fake.generate.bind(fake);
    fake.generate = (query, config) => {
      if (fail) throw new TypeError('tensor disposed');
      return generate(query, config);
    };
    const api = await startService({ createGenerator: () => Promise.resolve(fake) });
    const broken = await api.post('/generate', { query: 'dog:' });
    expect(broken.status).toBe(500);
    expect(broken.body.error).toEqual({ code: 'INTERNAL', message: 'the service failed on this request; the error is in its log' });
    expect(api.logged.join('\n')).toMatch(/POST \/generate → 500 INTERNAL: TypeError: tensor disposed/);
    fail = false;
    expect((await api.post('/generate', { query: 'dog:' })).status).toBe(200);
  });
});
