import { generationConfigFor, summarizeGeneration } from '../generation/generation-request.js';
import { parseBody, type EndpointResult, type ServiceContext } from './context.js';
import { generateRequestSchema } from './request-schemas.js';

/**
 * POST /generate `{ query, maxNewTokens?, steps?, alpha?, temperature?, seed?, dgr? }`
 * → the model's continuation of the query, adapted per step by the retrieved
 * patterns, with an id for POST /generate/feedback. The first request loads the model.
 */
export async function postGenerate(body: unknown, ctx: ServiceContext): Promise<EndpointResult> {
  const request = parseBody(generateRequestSchema, body);
  const generator = await ctx.generation.generator.get();
  const result = generator.generate(request.query, generationConfigFor(request, generator.model.config.seqLen));
  const summary = summarizeGeneration(result);
  const id = ctx.generation.results.remember({ trajectory: result.trajectory });
  const counters = ctx.generation.counters;
  counters.requests++;
  counters.latencyMsTotal += summary.latencyMs;
  counters.tokensGenerated += summary.tokensGenerated;
  counters.dgrRetrievals += summary.dgrRetrievals;
  return { status: 200, body: { id, ...summary } };
}
