import type { z } from 'zod';
import type { PatternStore } from '../store/pattern-store.js';
import { invalidRequest } from './http-error.js';
import type { AdapterRequestBody } from './request-schemas.js';
import type { ServedRequests } from './served-requests.js';

/** What every endpoint handler works with. */
export interface ServiceContext {
  store: PatternStore;
  served: ServedRequests;
  adapterSchema: z.ZodType<AdapterRequestBody>;
  maxPatternsPerRequest: number;
  counters: ServiceCounters;
  startedAt: number;
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
