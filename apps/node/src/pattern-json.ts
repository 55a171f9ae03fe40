import { encodeJson, type MicroLora, type Pattern } from 'microlora';
import { z } from 'zod';
import { loraFromJson, loraJsonSchema } from './lora-json.js';
import type { PreparedPattern } from './store/pattern-store.js';

/** Longest query text accepted (characters). */
export const MAX_QUERY_CHARS = 20_000;
/** Longest pattern id accepted (characters). */
export const MAX_ID_CHARS = 256;

const unit = z.number().min(0).max(1);
const count = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
const metricsSchema = z.strictObject({
  successRate: unit.optional(),
  feedbackCount: count.optional(),
  usageCount: count.optional(),
  avgLatencyMs: z.number().min(0).optional(),
  denoisingQuality: unit.optional(),
  distinctUsers: count.optional(),
  lastUsed: z.number().min(0).optional(),
  createdAt: z.number().min(0).optional(),
});

/**
 * One pattern in JSON (a POST /patterns item, a line of an import file):
 * `{ id?, query | embedding, timestepRange?, lora, metrics? }` — query is text
 * (embedded by the store's embedder), embedding its numbers; lora in either form of lora-json.ts.
 */
export function patternJsonSchema(dimension: number) {
  return z
    .strictObject({
      id: z.string().min(1).max(MAX_ID_CHARS).optional(),
      query: z.string().min(1).max(MAX_QUERY_CHARS).optional(),
      embedding: z.array(z.number()).length(dimension).optional(),
      timestepRange: z.tuple([unit, unit]).optional(),
      lora: loraJsonSchema,
      metrics: metricsSchema.optional(),
    })
    .refine((p) => (p.query === undefined) !== (p.embedding === undefined), {
      message: 'give exactly one of query (text) or embedding (numbers)',
      path: ['query'],
    });
}
export type PatternJson = z.infer<ReturnType<typeof patternJsonSchema>>;

/** Embeds the query and decodes the adapter (MicroLoraError on bad weights). */
export function preparePattern(json: PatternJson, micro: MicroLora): PreparedPattern {
  const embedding = json.query !== undefined ? micro.embed(json.query) : Float32Array.from(json.embedding ?? []);
  const metrics = json.metrics === undefined ? undefined : Object.fromEntries(Object.entries(json.metrics).filter(([, v]) => v !== undefined));
  return {
    ...(json.id === undefined ? {} : { id: json.id }),
    embedding,
    lora: loraFromJson(json.lora),
    ...(json.timestepRange === undefined ? {} : { timestepRange: json.timestepRange }),
    ...(metrics === undefined ? {} : { metrics }),
  };
}

/** A stored pattern as one JSON line of `microlora export` (re-importable as is). */
export function patternToJsonLine(pattern: Pattern): string {
  return JSON.stringify({
    id: pattern.id,
    embedding: Array.from(pattern.embedding),
    timestepRange: pattern.timestepRange,
    lora: JSON.parse(encodeJson(pattern.lora)) as unknown,
    metrics: pattern.metrics,
  });
}
