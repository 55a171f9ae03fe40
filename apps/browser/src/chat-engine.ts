import { MicroLoraError, crc32, type LoraWeights } from '@microlora/core';
import type { OnlineLearner } from '@microlora/learner';
import type { GenerationConfig, GenerationResult, MicroLoraInference } from '@microlora/model-tfjs';
import { DEFAULT_REPLY_CHARS, buildPrompt, type ChatPrompt } from './prompt.js';
import { appendRating, appendTranscript, type RatingRecord, type SessionLog, type TranscriptEntry } from './session-log.js';

/** Replies awaiting a rating beyond this many are forgotten, oldest first (each keeps its trajectory: ~30 KB). */
export const MAX_PENDING = 50;
export const MAX_MESSAGE_LENGTH = 2000;
/** Diffusion steps per reply (generate's default). */
export const REPLY_STEPS = 16;

export type Verdict = 'up' | 'down';

/** What the page shows for one generated reply. */
export interface ChatReply {
  id: number;
  /** The message as typed. */
  query: string;
  prompt: ChatPrompt;
  /** The generated characters (exactly tokensGenerated of them). */
  text: string;
  tokensGenerated: number;
  latencyMs: number;
  steps: number;
  /** Denoising-guided retrievals: extra pattern look-ups at uncertain steps. */
  dgrRetrievals: number;
  /** Ids of the patterns composed into any step's adapter, in order of first use. */
  patterns: string[];
  /** The tfjs backend the model ran on. */
  tfBackend: string;
}

export interface RatingOutcome {
  record: RatingRecord;
  /** Patterns whose metrics the rating updated. */
  patternsUpdated: number;
  /** Policy-gradient events the personal learner took (one per generated character). */
  learnerEvents: number;
  /** ‖ΔW‖ of the personal adapter before and after the rating. */
  deltaNormBefore: number;
  deltaNormAfter: number;
  /** Id of a pattern harvested from the personal adapter, if any. */
  harvested?: string;
}

export interface EngineStats {
  tfBackend: string;
  /** SIMD backend of the personal learner's arithmetic. */
  simdBackend: string;
  patterns: number;
  banks: number;
  /** Replies generated and ratings given in this visit. */
  requests: number;
  ratings: number;
  rank: number;
  paramCount: number;
  memoryBytes: number;
  /** Learner events so far (every rated character is one). */
  samplesSeen: number;
  updatesApplied: number;
  avgQuality: number;
  /** ‖ΔW‖_F of the personal adapter: 0 until the first rating. */
  deltaNorm: number;
  /** CRC-32 of the personal adapter's weights (A then B), 8 hex digits: changes when it learns. */
  weightsCrc: string;
}

/** Rows for SimdOps.loraApplyBatch: the history's prompt embeddings through the personal adapter. */
export interface HistoryBatch {
  adapters: LoraWeights[];
  adapterIndex: Int32Array;
  hidden: Float32Array;
  rows: number;
}

export interface ChatEngineParts {
  /** A MicroLoraInference with a personal learner (createInference's default). */
  inference: MicroLoraInference;
  log: SessionLog;
  /** The active tfjs backend's name, shown with each reply. */
  tfBackend: string;
  /** Generation settings besides the length (default: REPLY_STEPS steps, greedy, DGR on). */
  generation?: Omit<GenerationConfig, 'maxNewTokens'>;
  now?: () => number;
}

interface PendingReply {
  result: GenerationResult;
  entry: TranscriptEntry;
}

function weightsCrc(lora: LoraWeights): string {
  let crc = crc32(new Uint8Array(lora.a.buffer, lora.a.byteOffset, lora.a.byteLength));
  crc = crc32(new Uint8Array(lora.b.buffer, lora.b.byteOffset, lora.b.byteLength), crc);
  return crc.toString(16).padStart(8, '0');
}

/**
 * The chat: a message becomes a prompt (buildPrompt), the diffusion model generates
 * the reply with per-request adapters (TALoRA patterns retrieved by the prompt's
 * embedding, DGR at uncertain steps, the personal adapter on top), and 👍/👎 is
 * MicroLoraInference.feedback with quality 1/0: a policy-gradient step on the
 * personal adapter and a metrics update of every pattern the reply used.
 */
export class ChatEngine {
  readonly inference: MicroLoraInference;
  readonly learner: OnlineLearner;
  readonly log: SessionLog;
  readonly tfBackend: string;
  private readonly generation: Omit<GenerationConfig, 'maxNewTokens'>;
  private readonly now: () => number;
  private readonly pending = new Map<number, PendingReply>();
  /** Prompt → the model's embedding of it (the trunk is frozen, so it never changes). */
  private readonly embeddings = new Map<string, Float32Array>();
  private nextId = 1;
  private requests = 0;
  private ratings = 0;

  constructor(parts: ChatEngineParts) {
    const learner = parts.inference.learner;
    if (learner === undefined) {
      throw new MicroLoraError('INVALID_ARGUMENT', 'the chat learns from 👍/👎: create the inference with a learner (createInference({ learner: true }))');
    }
    this.inference = parts.inference;
    this.learner = learner;
    this.log = parts.log;
    this.tfBackend = parts.tfBackend;
    this.generation = { steps: REPLY_STEPS, ...parts.generation };
    this.now = parts.now ?? Date.now;
  }

  /** Generates the reply to `message` (about `replyChars` characters; see buildPrompt). */
  respond(message: string, replyChars = DEFAULT_REPLY_CHARS): ChatReply {
    if (typeof message === 'string' && message.length > MAX_MESSAGE_LENGTH) {
      throw new MicroLoraError('OUT_OF_RANGE', `the message has ${message.length} characters; keep it under ${MAX_MESSAGE_LENGTH}`);
    }
    const prompt = buildPrompt(message, replyChars);
    const result = this.inference.generate(prompt.text, { ...this.generation, maxNewTokens: prompt.maxNewTokens });
    this.requests++;
    this.embeddings.set(prompt.text, result.trajectory.embedding);
    const entry: TranscriptEntry = { query: message, prompt: prompt.text, text: result.text, rating: null };
    appendTranscript(this.log, entry);
    const id = this.nextId++;
    this.pending.set(id, { result, entry });
    if (this.pending.size > MAX_PENDING) this.pending.delete(this.pending.keys().next().value as number);
    const { trajectory } = result;
    return {
      id,
      query: message,
      prompt,
      text: result.text,
      tokensGenerated: result.tokensGenerated,
      latencyMs: result.latencyMs,
      steps: trajectory.steps.length,
      dgrRetrievals: trajectory.dgrRetrievals,
      patterns: [...new Set(trajectory.steps.flatMap((s) => s.sources))],
      tfBackend: this.tfBackend,
    };
  }

  /** Whether reply `id` still awaits a rating. */
  canRate(id: number): boolean {
    return this.pending.has(id);
  }

  /** 👍 (quality 1) or 👎 (quality 0) on reply `id`: MicroLoraInference.feedback, then the rating is logged. */
  rate(id: number, verdict: Verdict): RatingOutcome {
    if (verdict !== 'up' && verdict !== 'down') {
      throw new MicroLoraError('INVALID_ARGUMENT', `a rating is 'up' or 'down', got ${String(verdict)}`);
    }
    const served = this.pending.get(id);
    if (served === undefined) throw new MicroLoraError('NOT_FOUND', `reply ${String(id)} was already rated or is too old to rate`);
    // Forgotten first: should feedback throw, the reply can still never be rated twice.
    this.pending.delete(id);
    const quality = verdict === 'up' ? 1 : 0;
    const deltaNormBefore = this.learner.deltaNorm();
    const feedback = this.inference.feedback(served.result, quality);
    this.ratings++;
    served.entry.rating = verdict;
    const record: RatingRecord = { at: this.now(), quality, prompt: served.entry.prompt, avgQuality: this.learner.stats().avgQuality };
    appendRating(this.log, record);
    return {
      record,
      patternsUpdated: feedback.patterns,
      learnerEvents: feedback.learnerEvents,
      deltaNormBefore,
      deltaNormAfter: this.learner.deltaNorm(),
      ...(feedback.harvested === undefined ? {} : { harvested: feedback.harvested }),
    };
  }

  /**
   * The chat history as one loraApplyBatch: row r is the model's embedding of past
   * prompt r (dim features, the personal adapter's input size), every row through the
   * personal adapter (adapterIndex 0) with its current weights.
   */
  historyBatch(): HistoryBatch {
    const { dim } = this.inference.model.config;
    const prompts = this.log.transcript.map((t) => t.prompt).filter((p) => p.trim().length > 0);
    const hidden = new Float32Array(prompts.length * dim);
    const kept = new Map<string, Float32Array>();
    prompts.forEach((prompt, r) => {
      const embedding = kept.get(prompt) ?? this.embeddings.get(prompt) ?? this.inference.model.embedQuery(prompt);
      kept.set(prompt, embedding);
      hidden.set(embedding, r * dim);
    });
    // Only the history's prompts stay cached.
    this.embeddings.clear();
    for (const [prompt, embedding] of kept) this.embeddings.set(prompt, embedding);
    return { adapters: [this.learner.lora], adapterIndex: new Int32Array(prompts.length), hidden, rows: prompts.length };
  }

  stats(): EngineStats {
    const learner = this.learner.stats();
    const talora = this.inference.talora;
    return {
      tfBackend: this.tfBackend,
      simdBackend: this.learner.backend.name,
      patterns: talora.size,
      banks: talora.bankCount,
      requests: this.requests,
      ratings: this.ratings,
      rank: this.learner.rank,
      paramCount: learner.paramCount,
      memoryBytes: learner.memoryBytes,
      samplesSeen: learner.samplesSeen,
      updatesApplied: learner.updatesApplied,
      avgQuality: learner.avgQuality,
      deltaNorm: learner.deltaNorm,
      weightsCrc: weightsCrc(this.learner.lora),
    };
  }
}
