import { MicroLoraError } from 'microlora';
import type { GenerationConfig, GenerationResult } from '@microlora/model-tfjs';

/** Longest query the pretrained model takes: it reads 64 characters and must generate at least one. */
export const MAX_GENERATE_QUERY_CHARS = 63;
/** Longest continuation asked for (a one-character query leaves 63). */
export const MAX_NEW_TOKENS = 63;
/** Most diffusion steps per request (more steps than characters change nothing but the time). */
export const MAX_GENERATE_STEPS = 64;
/** Continuation length when none is asked for (the model's default), cut to fit after the query. */
export const DEFAULT_NEW_TOKENS = 32;

/** One generation as POST /generate and `microlora generate` take it. */
export interface GenerateRequest {
  query: string;
  maxNewTokens?: number | undefined;
  steps?: number | undefined;
  alpha?: number | undefined;
  temperature?: number | undefined;
  seed?: number | undefined;
  /** false: no denoising-guided retrieval; true or settings: on (the default). */
  dgr?: boolean | { threshold?: number | undefined; maxRetrievals?: number | undefined; weight?: number | undefined } | undefined;
}

/**
 * The model's GenerationConfig for `request`, or LIMIT_EXCEEDED when the query, or
 * the query and an explicit maxNewTokens, do not fit in the model's `seqLen` characters.
 */
export function generationConfigFor(request: GenerateRequest, seqLen: number): GenerationConfig {
  const queryChars = request.query.length;
  const room = seqLen - queryChars;
  if (room < 1) {
    throw new MicroLoraError(
      'LIMIT_EXCEEDED',
      `query is ${queryChars} characters; the model reads ${seqLen} in all and must generate at least one, so send at most ${seqLen - 1}`,
      { details: { queryChars, limit: seqLen - 1 } },
    );
  }
  if (request.maxNewTokens !== undefined && request.maxNewTokens > room) {
    throw new MicroLoraError(
      'LIMIT_EXCEEDED',
      `maxNewTokens ${request.maxNewTokens} does not fit after a ${queryChars}-character query (the model reads ${seqLen} characters); ask for at most ${room}`,
      { details: { maxNewTokens: request.maxNewTokens, limit: room } },
    );
  }
  const config: GenerationConfig = { maxNewTokens: request.maxNewTokens ?? Math.min(DEFAULT_NEW_TOKENS, room) };
  if (request.steps !== undefined) config.steps = request.steps;
  if (request.alpha !== undefined) config.alpha = request.alpha;
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.seed !== undefined) config.seed = request.seed;
  const dgr = request.dgr;
  if (dgr === false) config.dgr = { enabled: false };
  else if (typeof dgr === 'object') {
    config.dgr = { enabled: true };
    if (dgr.threshold !== undefined) config.dgr.threshold = dgr.threshold;
    if (dgr.maxRetrievals !== undefined) config.dgr.maxRetrievals = dgr.maxRetrievals;
    if (dgr.weight !== undefined) config.dgr.weight = dgr.weight;
  }
  return config;
}

/** One diffusion step of a generation, as answered. */
export interface GenerationStepSummary {
  /** Timestep in [0, 1]; steps run from the noisiest (t near 1) to t = 0. */
  t: number;
  /** Normalised entropy of the still-masked positions, in [0, 1]. */
  entropy: number;
  /** Denoising-guided retrieval fired at this step. */
  dgr: boolean;
  /** Pattern ids of the step's adapter. */
  sources: string[];
}

/** A generation as POST /generate answers it (besides its id) and `microlora generate --json` prints it. */
export interface GenerationSummary {
  text: string;
  fullText: string;
  /** Time of the generation itself (not the model's load on a first request). */
  latencyMs: number;
  tokensGenerated: number;
  dgrRetrievals: number;
  /** Distinct pattern ids used by any step, in order of first use. */
  sources: string[];
  steps: GenerationStepSummary[];
}

/** The JSON-sized view of a result (the trajectory's per-character tensors stay server-side). */
export function summarizeGeneration(result: GenerationResult): GenerationSummary {
  const steps = result.trajectory.steps.map((s) => ({ t: s.t, entropy: s.entropy, dgr: s.dgr, sources: [...s.sources] }));
  return {
    text: result.text,
    fullText: result.fullText,
    latencyMs: result.latencyMs,
    tokensGenerated: result.tokensGenerated,
    dgrRetrievals: result.trajectory.dgrRetrievals,
    sources: [...new Set(steps.flatMap((s) => s.sources))],
    steps,
  };
}
