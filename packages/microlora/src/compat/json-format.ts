import {
  FEATURES_LIMIT,
  MICRO_RANK_MAX,
  MicroLoraError,
  createLora,
  findNonFinite,
} from '@microlora/core';
import { DEFAULT_BASELINE_DECAY, type LearnerState } from '@microlora/learner';
import { ruvllmInitialA } from './ruvllm-init.js';

/** Our JSON: a `format` tag and a version, so that readers can tell it from the original's. */
export const COMPAT_JSON_FORMAT = 'microlora-compat';
export const COMPAT_JSON_VERSION = 1;

/** How the initial weights (the target of reset()) are recorded. */
export type InitialWeights = { kind: 'seeded' } | { kind: 'ruvllm' } | { kind: 'explicit' };

/** Settings that travel with the state. */
export interface CompatSettings {
  seed: number;
  exploration: number;
  weightDecay: number;
  initial: InitialWeights;
}

/** A decoded document: the learner state and its settings. */
export interface DecodedCompatJson {
  source: 'microlora' | 'ruvllm';
  state: LearnerState;
  settings: CompatSettings;
}

function corrupt(message: string, details: Record<string, unknown> = {}): MicroLoraError {
  return new MicroLoraError('CORRUPT_DATA', message, { details });
}

/** Serialises a learner state; float32 values print exactly (shortest round-trip decimal). */
export function encodeCompatJson(state: LearnerState, settings: CompatSettings): string {
  const doc: Record<string, unknown> = {
    format: COMPAT_JSON_FORMAT,
    version: COMPAT_JSON_VERSION,
    rank: state.rank,
    alpha: state.alpha,
    in_features: state.inFeatures,
    out_features: state.outFeatures,
    seed: settings.seed,
    exploration: settings.exploration,
    weight_decay: settings.weightDecay,
    layout: 'a: rank x in_features, b: rank x out_features (B transposed), row-major',
    a: Array.from(state.a),
    b: Array.from(state.b),
    initial:
      settings.initial.kind === 'explicit'
        ? { kind: 'explicit', a: Array.from(state.initialA), b: Array.from(state.initialB) }
        : { kind: settings.initial.kind },
    pending: { count: state.pendingCount, a: Array.from(state.pendingA), b: Array.from(state.pendingB) },
    samples_seen: state.samplesSeen,
    quality_samples: state.qualitySamples,
    quality_sum: state.qualitySum,
    baseline: [state.baselineEma, state.baselineWeight],
    exploration_event: state.explorationEvent,
    exploration_records: state.explorationRecords.map((r) => [r.sum1, r.sum2, r.event, r.gain]),
    updates_applied: state.updatesApplied,
    clipped_events: state.clippedEvents,
    uninformative_events: state.uninformativeEvents,
  };
  return JSON.stringify(doc);
}

/**
 * Parses our JSON or `@ruvector/ruvllm-wasm` 2.0's, validating everything:
 * garbage or truncated text, missing fields, wrong lengths, non-numbers and
 * values outside float32 → CORRUPT_DATA; another version of ours →
 * UNSUPPORTED_VERSION; a rank outside 1–4 → RANK_OUT_OF_RANGE.
 */
export function decodeCompatJson(text: string): DecodedCompatJson {
  if (typeof text !== 'string') {
    throw new MicroLoraError('INVALID_ARGUMENT', `fromJson needs a JSON string, got ${text === null ? 'null' : typeof text}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new MicroLoraError('CORRUPT_DATA', `the text is not valid JSON (truncated or not a saved adapter): ${String(cause)}`, { cause });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw corrupt('the JSON is not an object: not a saved adapter');
  const record = doc as Record<string, unknown>;
  if ('format' in record) return decodeOurs(record);
  if ('adapter' in record) return decodeRuvllm(record);
  throw corrupt('unrecognised JSON: expected our format (a "format" field) or @ruvector/ruvllm-wasm\'s (an "adapter" object)');
}

function decodeOurs(doc: Record<string, unknown>): DecodedCompatJson {
  if (doc.format !== COMPAT_JSON_FORMAT) throw corrupt(`unknown format ${JSON.stringify(doc.format)}; expected "${COMPAT_JSON_FORMAT}"`);
  if (doc.version !== COMPAT_JSON_VERSION) {
    throw new MicroLoraError(
      'UNSUPPORTED_VERSION',
      `this is version ${String(doc.version)} of the ${COMPAT_JSON_FORMAT} format; this package reads version ${COMPAT_JSON_VERSION} (upgrade the package)`,
      { details: { version: doc.version } },
    );
  }
  const { rank, inFeatures, outFeatures } = shape(doc.rank, doc.in_features, doc.out_features);
  const alpha = finite('alpha', doc.alpha);
  if (alpha === 0) throw corrupt('alpha is 0');
  const seed = integer('seed', doc.seed, 0, 0xffff_ffff);
  const exploration = finite('exploration', doc.exploration, 0, 1e6);
  const weightDecay = finite('weight_decay', doc.weight_decay, 0);
  const initialDoc = object('initial', doc.initial);
  const kind = initialDoc.kind;
  let initialA: Float32Array;
  let initialB: Float32Array;
  let initial: InitialWeights;
  if (kind === 'seeded') {
    const init = createLora({ rank, inFeatures, outFeatures, alpha, seed });
    initialA = init.a;
    initialB = init.b;
    initial = { kind };
  } else if (kind === 'ruvllm') {
    initialA = ruvllmInitialA(rank, inFeatures);
    initialB = new Float32Array(rank * outFeatures);
    initial = { kind };
  } else if (kind === 'explicit') {
    initialA = floats('initial.a', initialDoc.a, rank * inFeatures);
    initialB = floats('initial.b', initialDoc.b, rank * outFeatures);
    initial = { kind };
  } else {
    throw corrupt(`initial.kind must be "seeded", "ruvllm" or "explicit", got ${JSON.stringify(kind)}`);
  }
  const pending = object('pending', doc.pending);
  const baseline = doc.baseline;
  if (!Array.isArray(baseline) || baseline.length !== 2) throw corrupt('baseline must be [ema, weight]');
  const records = doc.exploration_records;
  if (!Array.isArray(records)) throw corrupt('exploration_records must be an array');
  const samplesSeen = integer('samples_seen', doc.samples_seen);
  const qualitySamples = integer('quality_samples', doc.quality_samples);
  const state: LearnerState = {
    rank,
    inFeatures,
    outFeatures,
    alpha,
    a: floats('a', doc.a, rank * inFeatures),
    b: floats('b', doc.b, rank * outFeatures),
    initialA,
    initialB,
    pendingA: floats('pending.a', pending.a, rank * inFeatures),
    pendingB: floats('pending.b', pending.b, rank * outFeatures),
    pendingCount: integer('pending.count', pending.count),
    samplesSeen,
    qualitySamples,
    qualitySum: finite('quality_sum', doc.quality_sum, 0, qualitySamples),
    baselineEma: finite('baseline[0]', baseline[0], 0, 1),
    baselineWeight: finite('baseline[1]', baseline[1], 0, 1),
    explorationEvent: integer('exploration_event', doc.exploration_event, 0, 0xffff_ffff),
    explorationRecords: records.map((r: unknown, i) => {
      if (!Array.isArray(r) || r.length !== 4) throw corrupt(`exploration_records[${i}] must be [sum1, sum2, event, gain]`);
      return {
        sum1: finite(`exploration_records[${i}][0]`, r[0]),
        sum2: finite(`exploration_records[${i}][1]`, r[1]),
        event: integer(`exploration_records[${i}][2]`, r[2], 0, 0xffff_ffff),
        gain: finite(`exploration_records[${i}][3]`, r[3], Number.MIN_VALUE),
      };
    }),
    updatesApplied: integer('updates_applied', doc.updates_applied),
    clippedEvents: integer('clipped_events', doc.clipped_events),
    uninformativeEvents: integer('uninformative_events', doc.uninformative_events),
  };
  return { source: 'microlora', state, settings: { seed, exploration, weightDecay, initial } };
}

/**
 * `@ruvector/ruvllm-wasm` 2.0: { adapter: { lora_a (in × rank), lora_b (rank × out),
 * scaling, rank, in_features, out_features, grad_a, grad_b, grad_count },
 * samples_seen, quality_sum }. lora_a and grad_a are transposed into our
 * rank-major layout; the original applies W −= lr·grad/count, so its gradient
 * sums become our pending steps with the opposite sign.
 */
function decodeRuvllm(doc: Record<string, unknown>): DecodedCompatJson {
  const adapter = object('adapter', doc.adapter);
  const { rank, inFeatures, outFeatures } = shape(adapter.rank, adapter.in_features, adapter.out_features);
  const scaling = finite('adapter.scaling', adapter.scaling);
  if (scaling === 0) throw corrupt('adapter.scaling is 0');
  const loraA = floats('adapter.lora_a', adapter.lora_a, inFeatures * rank);
  const loraB = floats('adapter.lora_b', adapter.lora_b, rank * outFeatures);
  const gradA = floats('adapter.grad_a', adapter.grad_a, inFeatures * rank);
  const gradB = floats('adapter.grad_b', adapter.grad_b, rank * outFeatures);
  const gradCount = integer('adapter.grad_count', adapter.grad_count);
  const samplesSeen = integer('samples_seen', doc.samples_seen);
  const qualitySum = finite('quality_sum', doc.quality_sum, 0, samplesSeen);
  const a = transposeInByRank(loraA, rank, inFeatures);
  const pendingA = transposeInByRank(gradA, rank, inFeatures);
  const pendingB = new Float32Array(rank * outFeatures);
  for (let i = 0; i < pendingA.length; i++) pendingA[i] = gradCount === 0 ? 0 : -(pendingA[i] as number);
  for (let i = 0; i < pendingB.length; i++) pendingB[i] = gradCount === 0 ? 0 : -(gradB[i] as number);
  // The original keeps no baseline: start ours at its average quality.
  const weight = samplesSeen === 0 ? 0 : 1 - DEFAULT_BASELINE_DECAY ** Math.min(samplesSeen, 1000);
  const average = samplesSeen === 0 ? 0 : qualitySum / samplesSeen;
  const state: LearnerState = {
    rank,
    inFeatures,
    outFeatures,
    // The original stores only scaling = alpha / rank (in float32).
    alpha: scaling * rank,
    a,
    b: loraB,
    initialA: ruvllmInitialA(rank, inFeatures),
    initialB: new Float32Array(rank * outFeatures),
    pendingA,
    pendingB,
    pendingCount: gradCount,
    samplesSeen,
    qualitySamples: samplesSeen,
    qualitySum,
    baselineEma: Math.min(weight, average * weight),
    baselineWeight: weight,
    explorationEvent: 0,
    explorationRecords: [],
    updatesApplied: 0,
    clippedEvents: 0,
    uninformativeEvents: 0,
  };
  return { source: 'ruvllm', state, settings: { seed: 0x5eed, exploration: 0, weightDecay: 0, initial: { kind: 'ruvllm' } } };
}

/** (in × rank, index i·rank + r) → rank × in (index r·in + i). */
function transposeInByRank(m: Float32Array, rank: number, n: number): Float32Array {
  const out = new Float32Array(rank * n);
  for (let i = 0; i < n; i++) for (let r = 0; r < rank; r++) out[r * n + i] = m[i * rank + r] as number;
  return out;
}

function shape(rank: unknown, inFeatures: unknown, outFeatures: unknown): { rank: number; inFeatures: number; outFeatures: number } {
  if (typeof rank !== 'number' || !Number.isInteger(rank) || rank < 1 || rank > MICRO_RANK_MAX) {
    throw new MicroLoraError('RANK_OUT_OF_RANGE', `rank must be an integer in [1, ${MICRO_RANK_MAX}], got ${String(rank)}`, {
      details: { rank },
    });
  }
  return {
    rank,
    inFeatures: integer('in_features', inFeatures, 1, FEATURES_LIMIT),
    outFeatures: integer('out_features', outFeatures, 1, FEATURES_LIMIT),
  };
}

function object(name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw corrupt(`${name} is missing or not an object`, { name });
  return value as Record<string, unknown>;
}

function integer(name: string, value: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw corrupt(`${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`, { name, value });
  }
  return value;
}

function finite(name: string, value: unknown, min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw corrupt(`${name} must be a finite number in [${min}, ${max}], got ${JSON.stringify(value)}`, { name, value });
  }
  return value;
}

/** A JSON array of exactly `length` numbers, each finite in float32. */
function floats(name: string, value: unknown, length: number): Float32Array {
  if (!Array.isArray(value)) throw corrupt(`${name} is missing or not an array`, { name });
  if (value.length !== length) {
    throw corrupt(`${name} has ${value.length} values, expected ${length} (truncated or from another shape)`, {
      name,
      actual: value.length,
      expected: length,
    });
  }
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const v: unknown = value[i];
    if (typeof v !== 'number') throw corrupt(`${name}[${i}] is ${JSON.stringify(v)}, not a number`, { name, index: i });
    out[i] = v;
  }
  const bad = findNonFinite(out);
  if (bad >= 0) throw corrupt(`${name}[${bad}] = ${String(value[bad])} is outside the float32 range`, { name, index: bad });
  return out;
}
