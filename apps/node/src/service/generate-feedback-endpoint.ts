import { MicroLoraError } from 'microlora';
import { parseBody, type EndpointResult, type ServiceContext } from './context.js';
import { generateFeedbackRequestSchema } from './request-schemas.js';

/**
 * POST /generate/feedback `{ id, quality }` (👍 = 1, 👎 = 0) → the model updates the
 * metrics of the patterns the generation used and trains its personal adapter
 * on it. In memory only: the model's patterns and adapter restart with the process.
 */
export async function postGenerateFeedback(body: unknown, ctx: ServiceContext): Promise<EndpointResult> {
  const request = parseBody(generateFeedbackRequestSchema, body);
  const result = ctx.generation.results.take(request.id);
  if (result === undefined) {
    throw new MicroLoraError(
      'NOT_FOUND',
      `generation ${JSON.stringify(request.id)} is unknown, expired or already rated (the last ${ctx.generation.results.capacity} answers of POST /generate are remembered, each takes one feedback)`,
    );
  }
  const generator = await ctx.generation.generator.get();
  const outcome = generator.feedback(result, request.quality);
  ctx.generation.counters.feedback++;
  return {
    status: 200,
    body: { patterns: outcome.patterns, learnerEvents: outcome.learnerEvents, ...(outcome.harvested === undefined ? {} : { harvested: outcome.harvested }) },
  };
}
