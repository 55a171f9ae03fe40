import { z } from 'zod';
import {
  MAX_GENERATE_QUERY_CHARS,
  MAX_GENERATE_STEPS,
  MAX_NEW_TOKENS,
  type GenerateRequest,
} from '../generation/generation-request.js';
import { MAX_ID_CHARS, MAX_QUERY_CHARS } from '../pattern-json.js';

/** Most pattern ids one feedback may name. */
export const MAX_FEEDBACK_IDS = 256;

/** POST /adapter: `{ query, t, hidden?, encoding? }`. */
export function adapterRequestSchema(dimension: number, hiddenSize: number) {
  return z.strictObject({
    /** Text, or its embedding. */
    query: z.union([z.string().max(MAX_QUERY_CHARS), z.array(z.number()).length(dimension)]),
    /** Timestep in [0, 1] (0 for models without timesteps). */
    t: z.number().min(0).max(1),
    /** A hidden state: the answer is hidden + ΔW·hidden instead of the adapter. */
    hidden: z.array(z.number()).length(hiddenSize).optional(),
    /** Adapter encoding of the answer: exact f32 factors (default) or the int8 codec. */
    encoding: z.enum(['f32', 'int8']).optional(),
  });
}
export type AdapterRequestBody = z.infer<ReturnType<typeof adapterRequestSchema>>;

const idSchema = z.string().min(1).max(MAX_ID_CHARS);

/** POST /feedback: `{ requestId | patternIds, quality, denoisingQuality?, latencyMs?, userId? }`. */
export const feedbackRequestSchema = z
  .strictObject({
    requestId: z.string().min(1).max(64).optional(),
    patternIds: z.array(idSchema).min(1).max(MAX_FEEDBACK_IDS).optional(),
    quality: z.number().min(0).max(1),
    denoisingQuality: z.number().min(0).max(1).optional(),
    latencyMs: z.number().min(0).max(86_400_000).optional(),
    userId: z.string().min(1).max(MAX_ID_CHARS).optional(),
  })
  .refine((f) => (f.requestId === undefined) !== (f.patternIds === undefined), {
    message: 'give exactly one of requestId (from POST /adapter) or patternIds',
    path: ['requestId'],
  });
export type FeedbackRequestBody = z.infer<typeof feedbackRequestSchema>;

/** Largest |alpha| of POST /generate: beyond it the adapter swamps the model and logits overflow. */
export const MAX_GENERATE_ALPHA = 100;

/** POST /generate: `{ query, maxNewTokens?, steps?, alpha?, temperature?, seed?, dgr? }`. */
export const generateRequestSchema = z.strictObject({
  query: z.string().min(1).max(MAX_GENERATE_QUERY_CHARS),
  maxNewTokens: z.int().min(1).max(MAX_NEW_TOKENS).optional(),
  steps: z.int().min(1).max(MAX_GENERATE_STEPS).optional(),
  alpha: z.number().min(-MAX_GENERATE_ALPHA).max(MAX_GENERATE_ALPHA).optional(),
  /** 0 = greedy. */
  temperature: z.number().min(0).max(1000).optional(),
  seed: z.int().optional(),
  dgr: z
    .union([
      z.boolean(),
      z.strictObject({
        threshold: z.number().min(0).max(1).optional(),
        maxRetrievals: z.int().min(0).max(MAX_GENERATE_STEPS).optional(),
        weight: z.number().min(0).max(1).optional(),
      }),
    ])
    .optional(),
}) satisfies z.ZodType<GenerateRequest>;
export type GenerateRequestBody = z.infer<typeof generateRequestSchema>;

/** POST /generate/feedback: `{ id, quality }` with the id POST /generate answered. */
export const generateFeedbackRequestSchema = z.strictObject({
  id: z.string().min(1).max(64),
  quality: z.number().min(0).max(1),
});
