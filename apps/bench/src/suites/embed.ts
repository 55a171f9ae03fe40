import { SeededRng } from '@microlora/core';
import { HashingEmbedder } from '@microlora/embed';
import { formatNs, machineDescription, sampleLatencies, quantile, timeOp } from '../harness.js';
import type { BenchSuite, BenchTable } from '../harness.js';

const VOCABULARY = (
  'adapter retrieval bank pattern query embedding latency quality denoising image prompt style ' +
  'photo portrait landscape sunset vivid colour texture detail sharp soft light shadow contrast ' +
  'user request model layer rank weight update feedback reward noise sample step schedule token ' +
  'how what why when where can should would the a an of to in for with on at by from my your'
).split(' ');

function sentence(rng: SeededRng, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(VOCABULARY[rng.int(VOCABULARY.length)] as string);
  return out.join(' ');
}

export const embedSuite: BenchSuite = {
  name: 'embed',
  quick: true,
  async run(ctx) {
    const rng = new SeededRng(7);
    const embedder = new HashingEmbedder({ dimension: 768 });
    const query20 = sentence(rng, 20);
    const out = new Float32Array(768);
    const minMs = ctx.full ? 1000 : 300;

    ctx.log('embed: single queries');
    const rows: (string | number)[][] = [];
    for (const [label, text] of [
      ['embedInto, 20-word query', query20],
      ['embedInto, 5-word query', sentence(rng, 5)],
      ['embedInto, 200-word document', sentence(rng, 200)],
    ] as const) {
      const t = await timeOp(() => embedder.embedInto(text, out), minMs);
      rows.push([label, text.length, formatNs(t.p50), formatNs(t.p99)]);
    }
    const alloc = await timeOp(() => embedder.embed(query20), minMs);
    rows.push(['embed (allocating), 20-word query', query20.length, formatNs(alloc.p50), formatNs(alloc.p99)]);

    ctx.log('embed: batch throughput');
    const batch = Array.from({ length: 1000 }, () => sentence(rng, 10 + rng.int(60)));
    const batchChars = batch.reduce((sum, t) => sum + t.length, 0);
    const batchNs = sampleLatencies(() => embedder.embedBatch(batch), ctx.full ? 30 : 8, 2);
    const batchP50 = quantile(batchNs, 0.5);

    const singles: BenchTable = {
      title: 'HashingEmbedder: one text (768-d, word 1–2-grams + char 3–5-grams)',
      description: `${machineDescription()}. timeOp (mitata) ns per call; the 20-word query target is ≤ 10 µs p50.`,
      columns: ['operation', 'chars', 'p50', 'p99'],
      rows,
    };
    const throughput: BenchTable = {
      title: 'HashingEmbedder: embedBatch throughput',
      description: `1000 texts of 10–70 words (${batchChars} chars), median of ${batchNs.length} batches.`,
      columns: ['batch time p50', 'texts / s', 'MB / s (UTF-16 chars)'],
      rows: [
        [formatNs(batchP50), Math.round((1000 * 1e9) / batchP50), ((batchChars * 1e9) / batchP50 / 1e6).toFixed(1)],
      ],
    };
    return {
      tables: [singles, throughput],
      data: { singles: rows, batchNs, batchChars },
    };
  },
};
