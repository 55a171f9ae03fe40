import { z } from 'zod';
import { patternJsonSchema, preparePattern, type PatternJson } from '../pattern-json.js';
import { HttpError } from './http-error.js';
import { parseBody, type EndpointResult, type ServiceContext } from './context.js';

/**
 * POST /patterns: one pattern `{ id?, query | embedding, timestepRange?, lora, metrics? }`
 * or a batch `{ patterns: [...], replace? }` → 201 once every pattern is in the
 * journal on disk. A batch is checked whole before anything is stored.
 */
export async function postPatterns(body: unknown, ctx: ServiceContext): Promise<EndpointResult> {
  const { dimension } = ctx.store.config;
  const pattern = patternJsonSchema(dimension);
  let items: PatternJson[];
  let replace = false;
  if (typeof body === 'object' && body !== null && !Array.isArray(body) && 'patterns' in body) {
    const batch = parseBody(
      z.strictObject({ patterns: z.array(pattern).min(1).max(ctx.maxPatternsPerRequest), replace: z.boolean().optional() }),
      body,
    );
    items = batch.patterns;
    replace = batch.replace ?? false;
  } else if (Array.isArray(body)) {
    throw new HttpError(400, 'INVALID_REQUEST', '(body): send one pattern object, or { "patterns": [...] } for several');
  } else {
    items = [parseBody(pattern, body)];
  }
  const prepared = items.map((item) => preparePattern(item, ctx.store.micro));
  const outcome = await ctx.store.insertPatterns(prepared, { replace });
  return { status: 201, body: outcome };
}
