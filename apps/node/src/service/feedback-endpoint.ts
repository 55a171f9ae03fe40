import { MicroLoraError } from 'microlora';
import { parseBody, type EndpointResult, type ServiceContext } from './context.js';
import { feedbackRequestSchema } from './request-schemas.js';

/**
 * POST /feedback `{ requestId | patternIds, quality, denoisingQuality?, latencyMs?, userId? }`
 * → each stored source pattern records one use and folds quality into its
 * successRate (journaled before the answer). Answers the updated metrics.
 */
export async function postFeedback(body: unknown, ctx: ServiceContext): Promise<EndpointResult> {
  const request = parseBody(feedbackRequestSchema, body);
  let ids: readonly string[];
  if (request.requestId !== undefined) {
    const served = ctx.served.take(request.requestId);
    if (served === undefined) {
      throw new MicroLoraError(
        'NOT_FOUND',
        `requestId ${JSON.stringify(request.requestId)} is unknown, expired or already rated (the last ${ctx.served.capacity} answers of POST /adapter are remembered, each takes one feedback); send patternIds instead`,
      );
    }
    if (served.length === 0) {
      throw new MicroLoraError('NOT_FOUND', `request ${JSON.stringify(request.requestId)} was answered from no pattern (the store found none); nothing to rate`);
    }
    ids = served;
  } else {
    ids = request.patternIds ?? [];
  }
  const outcome = await ctx.store.feedback(ids, {
    quality: request.quality,
    ...(request.denoisingQuality === undefined ? {} : { denoisingQuality: request.denoisingQuality }),
    ...(request.latencyMs === undefined ? {} : { latencyMs: request.latencyMs }),
    ...(request.userId === undefined ? {} : { userId: request.userId }),
  });
  return { status: 200, body: outcome };
}
