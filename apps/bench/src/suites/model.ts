import { readFileSync } from 'node:fs';
import { SeededRng, type LoraWeights } from '@microlora/core';
import {
  DEFAULT_BOUNDARIES,
  DEFAULT_DOMAINS,
  DEFAULT_HARVEST,
  MASK,
  MicroLoraInference,
  adaptedAccuracy,
  domainTexts,
  maskTokens,
  sampleDomain,
  splitEntries,
  trainDomainAdapter,
  type DiffusionLM,
  type DomainSamples,
  type GenerationConfig,
} from '@microlora/model-tfjs';
import { PRETRAINED_WEIGHTS_PATH, loadPretrainedModel, loadWordnetEntries, readPretrainedPatterns } from '@microlora/model-tfjs/node';
import { decompress } from '@microlora/quantization';
import { TaloraManager } from '@microlora/talora';
import { quantile } from '../harness.js';
import type { BenchSuite, BenchTable } from '../harness.js';

/** Texts per domain the committed patterns were harvested from (scripts/build-patterns.mjs defaults). */
const PATTERN_TEXTS = DEFAULT_HARVEST.textsPerDomain;
const VARIANTS = ['base', 'oracle', 'discrete', 'linear', 'soft-boundary', 'random'] as const;
type Variant = (typeof VARIANTS)[number];

interface Tally {
  right: number;
  masked: number;
  /** Σ cross-entropy (nats) over the masked characters. */
  loss: number;
}

const pct = (t: Tally): string => ((100 * t.right) / t.masked).toFixed(2);
const rate = (t: Tally): number => t.right / t.masked;
const meanLoss = (t: Tally): number => t.loss / t.masked;
const zero = (): Tally => ({ right: 0, masked: 0, loss: 0 });

/** The committed TRAINING.json next to the weights (what scripts/train.mjs measured). */
function trainingReport(): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(PRETRAINED_WEIGHTS_PATH.replace(/wordnet-dlm\.mldm$/, 'TRAINING.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Oracle adapters: one per domain and bank, trained on all the pattern texts (as harvestDomainPatterns does with oracles: true). */
function trainOracles(model: DiffusionLM, texts: Record<string, string[]>, log: (m: string) => void): Record<string, LoraWeights[]> {
  const oracles: Record<string, LoraWeights[]> = {};
  for (let b = 0; b + 1 < DEFAULT_BOUNDARIES.length; b++) {
    const range = [DEFAULT_BOUNDARIES[b] as number, DEFAULT_BOUNDARIES[b + 1] as number] as const;
    for (const d of DEFAULT_DOMAINS) {
      const samples = sampleDomain(model, texts[d] as string[], range, { seed: 1000 + b });
      (oracles[d] ??= [])[b] = trainDomainAdapter(model, samples, { epochs: DEFAULT_HARVEST.epochs, learningRate: DEFAULT_HARVEST.learningRate, rank: DEFAULT_HARVEST.rank, seed: 1 });
    }
    log(`oracles of bank ${b} trained`);
  }
  return oracles;
}

function adaptationTable(model: DiffusionLM, talora: TaloraManager, oracles: Record<string, LoraWeights[]>, evalTexts: Record<string, string[]>): { table: BenchTable; data: Record<string, unknown> } {
  const evalCount = Math.max(...Object.values(evalTexts).map((t) => t.length));
  const all = talora.patterns().map((p) => p.lora);
  const totals = Object.fromEntries(VARIANTS.map((v) => [v, zero()])) as Record<Variant, Tally>;
  const rows: (string | number)[][] = [];
  const perDomain: Record<string, Record<string, number>> = {};
  const hit = { discrete: 0, linear: 0, 'soft-boundary': 0, requests: 0 };
  for (const d of DEFAULT_DOMAINS) {
    const tally = Object.fromEntries(VARIANTS.map((v) => [v, zero()])) as Record<Variant, Tally>;
    for (let b = 0; b + 1 < DEFAULT_BOUNDARIES.length; b++) {
      const s: DomainSamples = sampleDomain(model, evalTexts[d] as string[], [DEFAULT_BOUNDARIES[b] as number, DEFAULT_BOUNDARIES[b + 1] as number], { seed: 9000 + b });
      const n = s.tokens.length;
      const add = (v: Variant, adapters: (LoraWeights | null)[]) => {
        const r = adaptedAccuracy(model, s, adapters);
        tally[v].right += r.accuracy * r.masked;
        tally[v].masked += r.masked;
        tally[v].loss += r.loss * r.masked;
      };
      add('base', new Array(n).fill(null));
      add('oracle', new Array(n).fill((oracles[d] as LoraWeights[])[b]));
      for (const strategy of ['discrete', 'linear', 'soft-boundary'] as const) {
        talora.setInterpolation({ strategy, k: DEFAULT_HARVEST.k });
        add(
          strategy,
          s.embeddings.map((e, i) => {
            const got = talora.getAdapterWithSources(e, s.t[i] as number);
            hit[strategy] += got.sources.reduce((w, src) => w + (src.id.includes(`/${d}:`) ? Math.abs(src.weight) : 0), 0) / got.sources.reduce((w, src) => w + Math.abs(src.weight), 0);
            return got.adapter;
          }),
        );
      }
      hit.requests += n;
      const rng = new SeededRng(77 + b);
      add('random', s.embeddings.map(() => decompress(all[rng.int(all.length)]!)));
    }
    const gain = rate(tally.oracle) - rate(tally.base);
    rows.push([d, ...VARIANTS.map((v) => pct(tally[v])), ...(['discrete', 'linear', 'soft-boundary'] as const).map((v) => (gain > 0 ? `${((100 * (rate(tally[v]) - rate(tally.base))) / gain).toFixed(0)} %` : 'n/a'))]);
    perDomain[d] = Object.fromEntries(VARIANTS.map((v) => [v, rate(tally[v])]));
    for (const v of VARIANTS) {
      totals[v].right += tally[v].right;
      totals[v].masked += tally[v].masked;
      totals[v].loss += tally[v].loss;
    }
  }
  const gain = rate(totals.oracle) - rate(totals.base);
  const recovery = (v: Variant) => (rate(totals[v]) - rate(totals.base)) / gain;
  rows.push(['all', ...VARIANTS.map((v) => pct(totals[v])), ...(['discrete', 'linear', 'soft-boundary'] as const).map((v) => `${(100 * recovery(v)).toFixed(0)} %`)]);
  const lossGain = meanLoss(totals.base) - meanLoss(totals.oracle);
  const lossRecovery = (v: Variant) => (meanLoss(totals.base) - meanLoss(totals[v])) / lossGain;
  rows.push([
    'all: cross-entropy (nats)',
    ...VARIANTS.map((v) => meanLoss(totals[v]).toFixed(4)),
    ...(['discrete', 'linear', 'soft-boundary'] as const).map((v) => `${(100 * lossRecovery(v)).toFixed(0)} %`),
  ]);
  const domainShare = (v: 'discrete' | 'linear' | 'soft-boundary') => hit[v] / hit.requests;
  return {
    table: {
      title: 'Adaptation on held-out glosses: masked-character accuracy (%)',
      description:
        'Rank-2 MicroLoRAs of the head layer. oracle = the domain\'s own adapter for the timestep bank; discrete / linear / soft-boundary = ' +
        `TALoRA retrieval (k = ${DEFAULT_HARVEST.k} per searched bank) over the committed harvested patterns by the model's embedding of the noisy input, composed exactly; ` +
        'random = a random stored pattern. Same masks for every column; t drawn uniformly in each of the three banks. Goal: retrieved ≥ 70 % of the oracle\'s gain.',
      columns: ['domain', ...VARIANTS, 'recovered (discrete)', 'recovered (linear)', 'recovered (soft-boundary)'],
      rows,
      notes: [
        `Up to ${evalCount} held-out glosses per domain (all a domain has if fewer) × 3 banks; ${totals.base.masked} masked characters in all. Patterns: ${talora.size} (harvested, ${PATTERN_TEXTS} training glosses per domain).`,
        `Share of the composite's weight from the query's own domain: discrete ${(100 * domainShare('discrete')).toFixed(0)} %, linear ${(100 * domainShare('linear')).toFixed(0)} %, soft-boundary ${(100 * domainShare('soft-boundary')).toFixed(0)} % (chance ${(100 / DEFAULT_DOMAINS.length).toFixed(0)} %).`,
        `Random pattern: ${(100 * recovery('random')).toFixed(0)} % of the oracle's accuracy gain, ${(100 * lossRecovery('random')).toFixed(0)} % of its cross-entropy gain (it hurts).`,
        'recovered = (variant − base) / (oracle − base), from accuracy in the domain rows and "all", from cross-entropy in the last row.',
      ],
    },
    data: {
      perDomain,
      all: Object.fromEntries(VARIANTS.map((v) => [v, rate(totals[v])])),
      crossEntropy: Object.fromEntries(VARIANTS.map((v) => [v, meanLoss(totals[v])])),
      recovery: { discrete: recovery('discrete'), linear: recovery('linear'), softBoundary: recovery('soft-boundary'), random: recovery('random') },
      lossRecovery: { discrete: lossRecovery('discrete'), linear: lossRecovery('linear'), softBoundary: lossRecovery('soft-boundary'), random: lossRecovery('random') }, domainShare: { discrete: domainShare('discrete'), linear: domainShare('linear'), softBoundary: domainShare('soft-boundary') } },
  };
}

/** Generation latency with and without TALoRA / DGR, and DGR's effect on infilling held-out glosses. */
function generationTables(model: DiffusionLM, talora: TaloraManager, evalTexts: string[], full: boolean): { tables: BenchTable[]; data: Record<string, unknown> } {
  talora.setInterpolation({ strategy: 'discrete', k: DEFAULT_HARVEST.k });
  const inf = new MicroLoraInference({ model, talora });
  const prompts = evalTexts.map((t) => t.slice(0, t.indexOf(': ') + 2)).filter((p) => p.length > 2 && p.length <= 24);
  const configs: Array<[string, GenerationConfig]> = [
    ['base model (no adapter)', { adapt: false }],
    ['TALoRA, DGR off', { dgr: { enabled: false } }],
    ['TALoRA + DGR', {}],
  ];
  const reps = full ? 3 : 1;
  const n = Math.min(prompts.length, full ? 60 : 20);
  const rows: (string | number)[][] = [];
  const latency: Record<string, number> = {};
  let fired = 0;
  let merged = 0;
  let steps = 0;
  // Interleave the configurations request by request so machine noise hits all alike.
  const samples: number[][] = configs.map(() => []);
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < n; i++) {
      configs.forEach(([, config], c) => {
        const res = inf.generate(prompts[i] as string, { maxNewTokens: 32, steps: 16, ...config });
        (samples[c] as number[]).push(res.latencyMs);
        if (c === 2) {
          fired += res.trajectory.dgrRetrievals;
          merged += res.trajectory.steps.filter((s) => s.dgrMerged).length;
          steps += res.trajectory.steps.length;
        }
      });
    }
  }
  configs.forEach(([name], c) => {
    const s = samples[c] as number[];
    latency[name] = quantile(s, 0.5);
    rows.push([name, quantile(s, 0.5).toFixed(1), quantile(s, 0.99).toFixed(1)]);
  });
  const overhead = (latency['TALoRA + DGR'] as number) / (latency['TALoRA, DGR off'] as number) - 1;
  rows.push(['DGR overhead (p50)', `${(100 * overhead).toFixed(1)} %`, '']);

  // Infilling: mask 60 % of each held-out gloss, denoise in 8 steps; accuracy of the filled characters.
  const rng = new SeededRng(31);
  const seqLen = model.config.seqLen;
  const infill: Record<string, Tally> = { base: zero(), talora: zero(), dgr: zero() };
  const mask = new Float32Array(seqLen);
  for (const text of evalTexts.slice(0, full ? 300 : 90)) {
    const clean = model.tokenize(text);
    const noisy = new Int32Array(seqLen);
    maskTokens(clean, 0.6, rng, noisy, mask);
    const embedding = model.embedQuery(noisy, 0.6);
    const variants: Array<[string, GenerationConfig]> = [['base', { adapt: false }], ['talora', { dgr: { enabled: false } }], ['dgr', {}]];
    for (const [key, config] of variants) {
      const out = inf.denoise(noisy, { steps: 8, ...config }, text, embedding).tokens;
      for (let i = 0; i < seqLen; i++) {
        if (noisy[i] !== MASK) continue;
        (infill[key] as Tally).masked++;
        if (out[i] === clean[i]) (infill[key] as Tally).right++;
      }
    }
  }
  return {
    tables: [
      {
        title: 'Generation: 32 new characters in 16 diffusion steps (ms per request)',
        description: 'MicroLoraInference.generate on held-out lemmas ("lemma: "), tfjs-wasm, one request at a time; the three configurations interleaved.',
        columns: ['configuration', 'p50 ms', 'p99 ms'],
        rows,
        notes: [
          `DGR (threshold 0.6, ≤ 2 retrievals): fired ${(fired / (n * reps)).toFixed(2)} times per request (${((100 * fired) / steps).toFixed(1)} % of steps); brought new patterns and re-ran the head ${((100 * merged) / Math.max(1, fired)).toFixed(0)} % of those times.`,
        ],
      },
      {
        title: 'DGR gain: infilling 60 %-masked held-out glosses in 8 steps (accuracy of the filled characters)',
        columns: ['configuration', 'accuracy %'],
        rows: [
          ['base model', pct(infill.base as Tally)],
          ['TALoRA (discrete), DGR off', pct(infill.talora as Tally)],
          ['TALoRA + DGR', pct(infill.dgr as Tally)],
        ],
      },
    ],
    data: { latencyMs: latency, dgrOverhead: overhead, dgrPerRequest: fired / (n * reps), dgrStepShare: fired / steps, infill: Object.fromEntries(Object.entries(infill).map(([k, t]) => [k, rate(t)])) },
  };
}

export const modelSuite: BenchSuite = {
  name: 'model',
  quick: true,
  async run(ctx) {
    const model = await loadPretrainedModel();
    const talora = await TaloraManager.load(readPretrainedPatterns(), { interpolation: { strategy: 'discrete', k: DEFAULT_HARVEST.k } });
    const { train, heldOut } = splitEntries(loadWordnetEntries());
    const texts = domainTexts(train, DEFAULT_DOMAINS, PATTERN_TEXTS, 5);
    const perDomainEval = ctx.full ? 400 : 60;
    const evalTexts = Object.fromEntries(DEFAULT_DOMAINS.map((d) => [d, heldOut.filter((e) => e.lexname === d).slice(0, perDomainEval).map((e) => e.text)]));
    const oracles = trainOracles(model, texts, ctx.log);
    const adaptation = adaptationTable(model, talora, oracles, evalTexts);
    ctx.log('adaptation table done');
    const generation = generationTables(model, talora, DEFAULT_DOMAINS.flatMap((d) => (evalTexts[d] as string[]).slice(0, 50)), ctx.full);
    const training = trainingReport();
    const tables: BenchTable[] = [];
    if (training) {
      const acc = training.maskedAccuracy as Record<string, { int8: number; float32: number }>;
      tables.push({
        title: 'The committed model (scripts/train.mjs)',
        description: `Masked-diffusion character LM, ${String(training.parameters)} parameters, trained ${String(training.minutes)} min (${String(training.steps)} steps) on ${String(training.backend)}; file ${String(training.fileBytes)} bytes (int8). Held-out masked-character accuracy:`,
        columns: ['mask rate t', 'int8 file %', 'float32 %', 'unigram baseline %'],
        rows: Object.entries(acc).map(([t, a]) => [t, (100 * a.int8).toFixed(2), (100 * a.float32).toFixed(2), (100 * Number(training.unigramBaseline)).toFixed(2)]),
        notes: [`Command: ${String(training.command)} (from packages/model-tfjs).`],
      });
    }
    tables.push(adaptation.table, ...generation.tables);
    model.dispose();
    return { tables, data: { training, adaptation: adaptation.data, generation: generation.data } };
  },
};
