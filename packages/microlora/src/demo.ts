import { ManualClock, SeededRng, loraFromFactors, type LoraWeights, type TimestepRange } from '@microlora/core';
import { createMicroLora, loadMicroLora } from './create.js';
import { versions } from './versions.js';

// performance and console exist in Node and every browser; declared because the build has no DOM or Node lib.
declare const performance: { now(): number };
declare const console: { log(line: string): void };

/** What runDemo measured, for callers that check or print it themselves. */
export interface DemoSummary {
  backend: string;
  index: string;
  patterns: number;
  placements: number;
  requests: number;
  /** Median and worst adapterFor + apply latency over the demo's requests, in µs. */
  p50RequestUs: number;
  maxRequestUs: number;
  /** Requests whose best source was a pattern of the query's own topic. */
  onTopic: number;
  savedBytes: number;
  /** The reloaded instance produced bit-identical outputs. */
  roundTripIdentical: boolean;
}

interface CorpusEntry {
  topic: string;
  query: string;
  timestepRange: TimestepRange;
}

/** Patterns: what earlier requests asked for, per topic and diffusion phase. */
const CORPUS: readonly CorpusEntry[] = [
  { topic: 'photo', query: 'portrait photo with soft evening light and a warm blurred background', timestepRange: [0, 1 / 3] },
  { topic: 'photo', query: 'studio portrait photography, sharp focus on the eyes, natural skin tones', timestepRange: [1 / 3, 1] },
  { topic: 'photo', query: 'landscape photo at golden hour with long shadows over the hills', timestepRange: [0, 1] },
  { topic: 'legal', query: 'draft a clause limiting liability in a software licence agreement', timestepRange: [0, 1 / 3] },
  { topic: 'legal', query: 'summarise the termination and notice provisions of this employment contract', timestepRange: [1 / 3, 1] },
  { topic: 'legal', query: 'explain indemnification obligations between the parties of a contract', timestepRange: [0, 1] },
  { topic: 'code', query: 'write a python function that parses a csv file and returns a list of dicts', timestepRange: [0, 2 / 3] },
  { topic: 'code', query: 'refactor this typescript class to use dependency injection and unit tests', timestepRange: [2 / 3, 1] },
  { topic: 'code', query: 'fix the off by one error in this javascript loop over an array', timestepRange: [0, 1] },
  { topic: 'cooking', query: 'vegetarian pasta recipe with roasted tomatoes garlic and fresh basil', timestepRange: [0, 1 / 3] },
  { topic: 'cooking', query: 'how long to bake sourdough bread and how to get a crisp crust', timestepRange: [1 / 3, 1] },
  { topic: 'cooking', query: 'quick weeknight curry recipe with chickpeas spinach and coconut milk', timestepRange: [0, 1] },
];

/** Incoming requests (none of them stored verbatim). */
const REQUESTS: readonly { topic: string; query: string }[] = [
  { topic: 'photo', query: 'soft light portrait photo of an old fisherman at dusk' },
  { topic: 'legal', query: 'limit our liability under the licence agreement clause' },
  { topic: 'code', query: 'python function to read a csv file into dicts' },
  { topic: 'cooking', query: 'easy pasta recipe with tomatoes and basil for dinner' },
  { topic: 'code', query: 'unit tests for a typescript class with injected dependencies' },
  { topic: 'legal', query: 'notice period and termination terms in my employment contract' },
];

const HIDDEN = 768;
const TIMESTEPS = [0.1, 0.5, 0.9];

/** A rank-2 adapter with seeded random factors (a real app harvests these from feedback). */
function demoAdapter(seed: number): LoraWeights {
  const rng = new SeededRng(seed);
  return loraFromFactors({
    rank: 2,
    inFeatures: HIDDEN,
    outFeatures: HIDDEN,
    a: rng.fillNormal(new Float32Array(2 * HIDDEN), 1 / Math.sqrt(HIDDEN)),
    b: rng.fillNormal(new Float32Array(2 * HIDDEN), 0.02),
  });
}

function norm(v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] as number) ** 2;
  return Math.sqrt(s);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
}

/**
 * The umbrella end to end: a MicroLoRA with default settings, a small corpus of
 * patterns stored per timestep range, adapters retrieved, composed and applied for
 * a few requests at three timesteps, feedback, and a save/load round trip. Prints
 * through `log` and returns the figures.
 */
export async function runDemo(log: (line: string) => void = console.log): Promise<DemoSummary> {
  // Blended scores of retrieved patterns are close together (quality and recency start equal), so the
  // default weighted average is nearly uniform; attention with a low temperature favours the closest match.
  const composer = { strategy: 'attention', options: { temperature: 0.05 } } as const;
  // Recency is part of the blended score; a fixed clock makes the save/load comparison below exact.
  const clock = new ManualClock(Date.UTC(2025, 0, 1));
  const micro = createMicroLora({ maxPatternsPerBank: 1000, composer, clock });
  log(`microlora ${versions['microlora'] ?? '?'}: backend ${micro.backend.name}, index ${micro.indexKind}, ` +
    `${micro.dimension}-d embeddings, ${micro.hiddenSize}-d hidden states, banks at ${micro.manager.boundaries.map((b) => b.toFixed(2)).join(' | ')}`);

  CORPUS.forEach((entry, i) => {
    micro.insertPattern({ id: `${entry.topic}-${i}`, query: entry.query, lora: demoAdapter(i + 1), timestepRange: entry.timestepRange });
  });
  const stored = micro.stats().talora;
  log(`stored ${stored.patterns} patterns in ${stored.placements} bank slots (${stored.spanning} span several banks; one int8 copy each)`);

  const hidden = new SeededRng(7).fillNormal(new Float32Array(HIDDEN));
  const out = new Float32Array(HIDDEN);
  const latencies: number[] = [];
  let onTopic = 0;
  for (const request of REQUESTS) {
    for (const t of TIMESTEPS) {
      const started = performance.now();
      const served = micro.adapterWithSources(request.query, t);
      micro.applyInto(hidden, served.adapter, out);
      latencies.push((performance.now() - started) * 1000);
      const best = served.sources.reduce((a, b) => (b.weight > a.weight ? b : a), served.sources[0]!);
      if (best.id.startsWith(request.topic)) onTopic++;
      for (let i = 0; i < HIDDEN; i++) out[i] = (out[i] as number) - (hidden[i] as number);
      log(`t=${t.toFixed(1)} "${request.query}" → rank ${served.adapter.rank} from ${served.sources.length} patterns, ` +
        `best ${best.id} (similarity ${best.similarity.toFixed(3)}, weight ${best.weight.toFixed(2)}), ‖Δh‖/‖h‖ = ${(norm(out) / norm(hidden)).toFixed(4)}`);
    }
  }
  const p50 = median(latencies);
  const max = Math.max(...latencies);
  log(`${latencies.length} requests: best pattern on the query's topic in ${onTopic}; ` +
    `adapter + apply ${p50.toFixed(0)} µs median, ${max.toFixed(0)} µs worst (first calls include warm-up)`);

  // Feedback: a user liked the first request's output; its sources' successRate rises, which
  // lifts them in the blended score of later retrievals.
  const liked = micro.adapterWithSources(REQUESTS[0]!.query, 0.1);
  const before = liked.sources.map((s) => micro.manager.get(s.id)!.metrics.successRate);
  micro.feedback(liked, { quality: 1, latencyMs: p50 / 1000, userId: 'alice' });
  const after = liked.sources.map((s) => micro.manager.get(s.id)!.metrics.successRate);
  log(`feedback (quality 1) on ${liked.sources.length} source patterns: successRate ${before.map((x) => x.toFixed(2)).join(', ')} → ${after.map((x) => x.toFixed(2)).join(', ')}`);

  const bytes = await micro.save();
  const reloaded = await loadMicroLora(bytes, { composer, clock });
  let identical = true;
  for (const request of REQUESTS) {
    const a = micro.apply(hidden, micro.adapterFor(request.query, 0.5));
    const b = reloaded.apply(hidden, reloaded.adapterFor(request.query, 0.5));
    if (a.some((x, i) => x !== b[i])) identical = false;
  }
  log(`saved ${bytes.length} bytes; the reloaded instance gives ${identical ? 'bit-identical' : 'DIFFERENT'} outputs`);
  const stats = micro.stats();
  return {
    backend: stats.backend,
    index: stats.index,
    patterns: stats.patterns,
    placements: stats.talora.placements,
    requests: stats.requests,
    p50RequestUs: p50,
    maxRequestUs: max,
    onTopic,
    savedBytes: bytes.length,
    roundTripIdentical: identical,
  };
}
