import type { GenerationResult } from '@microlora/model-tfjs';
import type { z } from 'zod';
import type { PatternStore } from '../store/pattern-store.js';
import { invalidRequest } from './http-error.js';
import type { AdapterRequestBody } from './request-schemas.js';
import type { LazyGenerator } from './lazy-generator.js';
import type { ServedRequests } from './served-requests.js';

/** What every endpoint handler works with. */
export interface ServiceContext {
  store: PatternStore;
  served: ServedRequests;
  adapterSchema: z.ZodType<AdapterRequestBody>;
  maxPatternsPerRequest: number;
  counters: ServiceCounters;
  startedAt: number;
  generation: GenerationContext;
}

/** POST /generate and /generate/feedback: the lazily loaded model, recent results, counters. */
export interface GenerationContext {
  generator: LazyGenerator;
  /** Recent results by id, kept for their feedback (the trajectory is what the learner needs). */
  results: ServedRequests<Pick<GenerationResult, 'trajectory'>>;
  counters: GenerationCounters;
}

export interface GenerationCounters {
  /** Generations answered. */
  requests: number;
  latencyMsTotal: number;
  tokensGenerated: number;
  dgrRetrievals: number;
  /** Feedbacks applied. */
  feedback: number;
}

export interface ServiceCounters {
  requests: number;
  responses2xx: number;
  responses4xx: number;
  responses5xx: number;
}

export interface EndpointResult {
  status: number;
  body: unknown;
}

/** The parsed body, or a 400 INVALID_REQUEST naming the first bad field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) throw invalidRequest(result.error);
  return result.data;
}
