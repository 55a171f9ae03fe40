import { MicroLoraError, crc32, type AdapterRequest, type LoraWeights, type MicroLora } from 'microlora';
import { AdaptFeedbackWasm, type MicroLoraWasm } from 'microlora/compat';
import { ResponseHead } from './response-head.js';
import { RESPONSE_STYLES, type ResponseStyle } from './response-styles.js';
import { appendRating, appendTranscript, type RatingRecord, type SessionLog, type TranscriptEntry } from './session-log.js';
import { styleAdapter } from './style-adapter.js';

/** Learning rate of applyUpdates after each rating (see tests/chat-engine.test.ts for the margin it moves). */
export const USER_LEARNING_RATE = 3;
/**
 * Ratings are judged against a fixed baseline: above it (thumbs up) pulls the adapter toward
 * the rated style, below (thumbs down) pushes it away. The learner's own running-mean
 * baseline would turn a second thumbs-down in a row into a zero step.
 */
export const RATING_BASELINE = 0.5;
/** Responses awaiting a rating beyond this many are forgotten (oldest first). */
export const MAX_PENDING = 100;
export const MAX_QUERY_LENGTH = 2000;
/** Prefix of the patterns harvested from 👍. */
export const LIKED_PREFIX = 'liked-';

export type Verdict = 'up' | 'down';
export type LearnOutcome = ReturnType<MicroLoraWasm['adapt']>;

export interface SourceShare {
  id: string;
  weight: number;
  similarity: number;
}

/** What the page shows for one response. */
export interface ChatResponse {
  id: number;
  query: string;
  style: ResponseStyle;
  /** Probability of each style in RESPONSE_STYLES order. */
  probabilities: number[];
  text: string;
  /** The patterns the retrieved adapter was composed from, largest weight first. */
  sources: SourceShare[];
}

export interface RatingOutcome {
  record: RatingRecord;
  /** What the user adapter learnt ('gradient': an exact chain-rule step was queued). */
  learnt: LearnOutcome;
  /** Source patterns whose metrics the feedback updated. */
  patternsUpdated: number;
  /** Id of the pattern stored from a 👍, if any. */
  harvested?: string;
}

export interface EngineStats {
  backend: string;
  indexKind: string;
  indexSize: number;
  patterns: number;
  requests: number;
  feedbacks: number;
  rank: number;
  paramCount: number;
  memoryBytes: number;
  samplesSeen: number;
  avgQuality: number;
  /** CRC-32 of the user adapter's weights (A then B), as 8 hex digits: changes when it learns. */
  weightsCrc: string;
}

export interface ChatEngineParts {
  micro: MicroLora;
  adapter: MicroLoraWasm;
  log: SessionLog;
  head?: ResponseHead;
  now?: () => number;
}

/** Rows for SimdOps.loraApplyBatch. */
export interface HistoryBatch {
  adapters: LoraWeights[];
  adapterIndex: Int32Array;
  hidden: Float32Array;
  rows: number;
}

/** h = √d·e / ‖e‖ (unit RMS) into `out`; false when the embedding is all zeros. */
function hiddenFromEmbedding(embedding: Float32Array, out: Float32Array): boolean {
  const d = embedding.length;
  let sum = 0;
  for (let i = 0; i < d; i++) sum += (embedding[i] as number) ** 2;
  if (!(sum > 0)) return false;
  const rms = Math.sqrt(d / sum);
  for (let i = 0; i < d; i++) out[i] = (embedding[i] as number) * rms;
  return true;
}

interface PendingResponse {
  embedding: Float32Array;
  /** The hidden state after the retrieved adapter: the user adapter's input. */
  hidden: Float32Array;
  request: AdapterRequest;
  chosen: number;
  entry: TranscriptEntry;
}

/**
 * The chat's "model" without a language model: query → embedding → hidden state
 * h = √d·e (unit RMS) → retrieved, composed adapter (MicroLoRA) → the user's own
 * adapter (compat MicroLoraWasm) → a frozen head picks one of the canned styles.
 * A rating teaches the user adapter (quality 1/0 with the head's margin gradient),
 * updates the source patterns' metrics, and a 👍 stores the query as a new pattern.
 */
export class ChatEngine {
  readonly micro: MicroLora;
  readonly adapter: MicroLoraWasm;
  readonly head: ResponseHead;
  readonly log: SessionLog;
  private readonly now: () => number;
  private readonly pending = new Map<number, PendingResponse>();
  private nextId = 1;

  constructor(parts: ChatEngineParts) {
    const { micro, adapter } = parts;
    if (micro.dimension !== micro.hiddenSize) {
      throw new MicroLoraError(
        'DIMENSION_MISMATCH',
        `the hidden state is derived from the embedding, so dimension (${micro.dimension}) must equal hiddenSize (${micro.hiddenSize})`,
      );
    }
    const config = adapter.getConfig();
    if (config.inFeatures !== micro.hiddenSize || config.outFeatures !== micro.hiddenSize) {
      throw new MicroLoraError(
        'DIMENSION_MISMATCH',
        `the user adapter is ${config.inFeatures} → ${config.outFeatures} but hidden states have ${micro.hiddenSize} features`,
      );
    }
    this.micro = micro;
    this.adapter = adapter;
    this.head = parts.head ?? new ResponseHead(RESPONSE_STYLES.length, micro.hiddenSize);
    this.log = parts.log;
    this.now = parts.now ?? Date.now;
  }

  respond(query: string): ChatResponse {
    if (typeof query !== 'string' || query.trim().length === 0) {
      throw new MicroLoraError('INVALID_ARGUMENT', 'type a question first: the query is empty');
    }
    if (query.length > MAX_QUERY_LENGTH) {
      throw new MicroLoraError('OUT_OF_RANGE', `the query has ${query.length} characters; keep it under ${MAX_QUERY_LENGTH}`);
    }
    const embedding = this.micro.embed(query);
    const d = embedding.length;
    const h0 = new Float32Array(d);
    if (!hiddenFromEmbedding(embedding, h0)) throw new MicroLoraError('INVALID_ARGUMENT', `“${query}” has nothing to embed; use words`);

    const request = this.micro.adapterWithSources(embedding, 0);
    const hidden = this.micro.apply(h0, request.adapter);
    const adapted = this.adapter.apply(hidden);
    for (let i = 0; i < d; i++) adapted[i] = (adapted[i] as number) + (hidden[i] as number);
    const probabilities = this.head.probabilitiesInto(adapted, new Float64Array(this.head.styles));
    const chosen = ResponseHead.argmax(probabilities);
    const style = RESPONSE_STYLES[chosen] as ResponseStyle;
    const text = style.render(query);
    const entry: TranscriptEntry = { query, style: style.id, text, rating: null };
    appendTranscript(this.log, entry);

    const id = this.nextId++;
    this.pending.set(id, { embedding, hidden, request, chosen, entry });
    if (this.pending.size > MAX_PENDING) this.pending.delete(this.pending.keys().next().value as number);
    return {
      id,
      query,
      style,
      probabilities: Array.from(probabilities),
      text,
      sources: request.sources
        .map((s) => ({ id: s.id, weight: s.weight, similarity: s.similarity }))
        .sort((a, b) => b.weight - a.weight),
    };
  }

  /** Whether response `id` still awaits a rating. */
  canRate(id: number): boolean {
    return this.pending.has(id);
  }

  rate(id: number, verdict: Verdict): RatingOutcome {
    if (verdict !== 'up' && verdict !== 'down') {
      throw new MicroLoraError('INVALID_ARGUMENT', `a rating is 'up' or 'down', got ${String(verdict)}`);
    }
    const served = this.pending.get(id);
    if (served === undefined) {
      throw new MicroLoraError('NOT_FOUND', `response ${String(id)} was already rated or is too old to rate`);
    }
    // Forgotten first: should a step below throw, the response can still never be rated twice.
    this.pending.delete(id);
    const quality = verdict === 'up' ? 1 : 0;
    const feedback = new AdaptFeedbackWasm(quality);
    // Loss gradient of −(quality − baseline)·margin(chosen): the learner descends it (exact chain rule).
    const gradient = this.head.marginGradientInto(served.chosen, new Float32Array(this.head.hiddenSize));
    const advantage = quality - RATING_BASELINE;
    for (let i = 0; i < gradient.length; i++) gradient[i] = -advantage * (gradient[i] as number);
    feedback.gradient = gradient;
    const learnt = this.adapter.adapt(served.hidden, feedback);
    this.adapter.applyUpdates(USER_LEARNING_RATE);
    const patternsUpdated = this.micro.feedback(served.request, { quality, userId: 'local-user' });
    let harvested: string | undefined;
    if (verdict === 'up') {
      harvested = this.freeLikedId();
      const lora = styleAdapter(served.embedding, this.head.direction(served.chosen));
      this.micro.insertPattern({ id: harvested, query: served.embedding, lora });
    }
    served.entry.rating = verdict;
    const record: RatingRecord = {
      at: this.now(),
      quality,
      style: (RESPONSE_STYLES[served.chosen] as ResponseStyle).id,
      avgQuality: this.adapter.stats().avgQuality,
    };
    appendRating(this.log, record);
    return { record, learnt, patternsUpdated, ...(harvested === undefined ? {} : { harvested }) };
  }

  /**
   * The chat history as one batch for `loraApplyBatch`: row r is past query r's hidden
   * state h = √d·e (the one retrieval starts from; recomputed, as hidden states are not
   * stored), and every row uses the user adapter (adapterIndex 0), with its current weights.
   */
  historyBatch(): HistoryBatch {
    const d = this.micro.hiddenSize;
    const queries = this.log.transcript.map((t) => t.query);
    const hidden = new Float32Array(queries.length * d);
    let rows = 0;
    for (const query of queries) {
      if (hiddenFromEmbedding(this.micro.embed(query), hidden.subarray(rows * d, (rows + 1) * d))) rows++;
    }
    return { adapters: [this.adapter.weights], adapterIndex: new Int32Array(rows), hidden: hidden.subarray(0, rows * d), rows };
  }

  stats(): EngineStats {
    const micro = this.micro.stats();
    const user = this.adapter.stats();
    const index = this.micro.manager.banks[0]?.index;
    const weights = this.adapter.weights;
    let crc = crc32(new Uint8Array(weights.a.buffer, weights.a.byteOffset, weights.a.byteLength));
    crc = crc32(new Uint8Array(weights.b.buffer, weights.b.byteOffset, weights.b.byteLength), crc);
    return {
      backend: micro.backend,
      indexKind: index?.kind ?? micro.index,
      indexSize: index?.size ?? 0,
      patterns: micro.patterns,
      requests: micro.requests,
      feedbacks: micro.feedbacks,
      rank: this.adapter.getConfig().rank,
      paramCount: user.paramCount,
      memoryBytes: user.memoryBytes,
      samplesSeen: user.samplesSeen,
      avgQuality: user.avgQuality,
      weightsCrc: crc.toString(16).padStart(8, '0'),
    };
  }

  private freeLikedId(): string {
    let n = 0;
    while (this.micro.hasPattern(`${LIKED_PREFIX}${n}`)) n++;
    return `${LIKED_PREFIX}${n}`;
  }
}
