import type { EndpointResult, ServiceContext } from './context.js';

/** GET /stats: the MicroLoRA, the store, the HTTP counters, text generation and the process memory. */
export function getStats(ctx: ServiceContext): EndpointResult {
  const memory = process.memoryUsage();
  const generation = ctx.generation.counters;
  return {
    status: 200,
    body: {
      microlora: ctx.store.micro.stats(),
      store: ctx.store.stats(),
      http: { ...ctx.counters, rememberedRequests: ctx.served.size },
      generation: {
        loaded: ctx.generation.generator.loaded,
        requests: generation.requests,
        meanLatencyMs: generation.requests === 0 ? null : generation.latencyMsTotal / generation.requests,
        tokensGenerated: generation.tokensGenerated,
        dgrRetrievals: generation.dgrRetrievals,
        feedback: generation.feedback,
        rememberedResults: ctx.generation.results.size,
      },
      process: {
        pid: process.pid,
        uptimeSeconds: (Date.now() - ctx.startedAt) / 1000,
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        externalBytes: memory.external,
        arrayBuffersBytes: memory.arrayBuffers,
      },
    },
  };
}

/** GET /healthz: 200 while mutations are accepted, else 503 with the reason. */
export function getHealth(ctx: ServiceContext): EndpointResult {
  const reason = ctx.store.unavailableReason;
  if (reason !== undefined) return { status: 503, body: { status: 'unavailable', reason } };
  return { status: 200, body: { status: 'ok', patterns: ctx.store.micro.manager.size } };
}
