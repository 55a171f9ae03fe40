import { ByteWriter, corrupt, openContainer, type ContainerFormat } from '@microlora/core';
import type { CompressedLora, PatternMetrics, TimestepRange } from 'microlora';
import { decodeBinary, encodeBinary } from 'microlora';

/**
 * Journal record payloads. Each is a checksummed container from @microlora/core
 * (magic, version, fields, CRC-32), so a torn or damaged record fails openContainer.
 *
 * insert "MLJI" v1: f64 at, str id, f64 rangeStart, f64 rangeEnd, str metricsJson ('' = none),
 *   u32 evicted count + str each, u32 embedding length + f32 values, u32 lora length + MLQ8 bytes
 * feedback "MLJF" v1: f64 at, f64 quality, u8 flags (1 denoisingQuality, 2 latencyMs, 4 userId),
 *   f64 denoisingQuality, f64 latencyMs, str userId, u32 id count + str each
 */
const INSERT_FORMAT: ContainerFormat = { magic: 'MLJI', version: 1, what: 'journal insert record' };
const FEEDBACK_FORMAT: ContainerFormat = { magic: 'MLJF', version: 1, what: 'journal feedback record' };

/** A pattern as the bank stored it (what replay inserts again). */
export interface InsertRecord {
  kind: 'insert';
  /** ms since the epoch at which the insert was applied. */
  at: number;
  id: string;
  timestepRange: TimestepRange;
  /** Metrics given with the pattern (the rest are defaults at `at`). */
  metrics: Partial<PatternMetrics> | undefined;
  /** Patterns the insert evicted: replay removes them first, so the same ones leave. */
  evictedIds: string[];
  embedding: Float32Array;
  lora: CompressedLora;
}

export interface FeedbackRecord {
  kind: 'feedback';
  at: number;
  patternIds: string[];
  quality: number;
  denoisingQuality: number | undefined;
  latencyMs: number | undefined;
  userId: string | undefined;
}

export type JournalRecord = InsertRecord | FeedbackRecord;

export function encodeRecord(record: JournalRecord): Uint8Array {
  if (record.kind === 'insert') {
    const lora = encodeBinary(record.lora);
    const w = new ByteWriter(INSERT_FORMAT, 128 + record.embedding.byteLength + lora.length);
    w.f64(record.at);
    w.string(record.id);
    w.f64(record.timestepRange[0]);
    w.f64(record.timestepRange[1]);
    w.string(record.metrics === undefined ? '' : JSON.stringify(record.metrics));
    w.u32(record.evictedIds.length);
    for (const id of record.evictedIds) w.string(id);
    w.u32(record.embedding.length);
    w.f32s(record.embedding);
    w.u32(lora.length);
    w.bytes(lora);
    return w.finish();
  }
  const w = new ByteWriter(FEEDBACK_FORMAT, 96 + 32 * record.patternIds.length);
  w.f64(record.at);
  w.f64(record.quality);
  w.u8((record.denoisingQuality === undefined ? 0 : 1) | (record.latencyMs === undefined ? 0 : 2) | (record.userId === undefined ? 0 : 4));
  w.f64(record.denoisingQuality ?? 0);
  w.f64(record.latencyMs ?? 0);
  w.string(record.userId ?? '');
  w.u32(record.patternIds.length);
  for (const id of record.patternIds) w.string(id);
  return w.finish();
}

function magicOf(bytes: Uint8Array): string {
  return String.fromCharCode(bytes[0] ?? 0, bytes[1] ?? 0, bytes[2] ?? 0, bytes[3] ?? 0);
}

/** Decodes one record; a damaged one → CORRUPT_DATA (its CRC, magic or fields). */
export function decodeRecord(bytes: Uint8Array): JournalRecord {
  const magic = magicOf(bytes);
  if (magic === INSERT_FORMAT.magic) {
    const r = openContainer(bytes, INSERT_FORMAT);
    const at = r.f64('at');
    const id = r.string('id');
    const start = r.f64('timestepRange[0]');
    const end = r.f64('timestepRange[1]');
    const metricsJson = r.string('metrics');
    let metrics: Partial<PatternMetrics> | undefined;
    if (metricsJson.length > 0) {
      try {
        metrics = JSON.parse(metricsJson) as Partial<PatternMetrics>;
      } catch (cause) {
        throw corrupt(INSERT_FORMAT.what, 'metrics are not valid JSON', cause);
      }
    }
    const evictedCount = r.u32('evicted count');
    r.need(evictedCount * 4, 'evicted ids');
    const evictedIds: string[] = [];
    for (let i = 0; i < evictedCount; i++) evictedIds.push(r.string(`evicted id ${i}`));
    const dimension = r.u32('embedding length');
    const embedding = r.f32s(dimension, 'embedding');
    const loraLength = r.u32('lora length');
    const lora = decodeBinary(r.bytes(loraLength, 'lora'));
    r.expectEnd();
    return { kind: 'insert', at, id, timestepRange: [start, end], metrics, evictedIds, embedding, lora };
  }
  if (magic === FEEDBACK_FORMAT.magic) {
    const r = openContainer(bytes, FEEDBACK_FORMAT);
    const at = r.f64('at');
    const quality = r.f64('quality');
    const flags = r.u8('flags');
    const denoisingQuality = r.f64('denoisingQuality');
    const latencyMs = r.f64('latencyMs');
    const userId = r.string('userId');
    const count = r.u32('id count');
    r.need(count * 4, 'pattern ids');
    const patternIds: string[] = [];
    for (let i = 0; i < count; i++) patternIds.push(r.string(`pattern id ${i}`));
    r.expectEnd();
    return {
      kind: 'feedback',
      at,
      patternIds,
      quality,
      denoisingQuality: flags & 1 ? denoisingQuality : undefined,
      latencyMs: flags & 2 ? latencyMs : undefined,
      userId: flags & 4 ? userId : undefined,
    };
  }
  throw corrupt('journal record', `unknown record magic ${JSON.stringify(magic)}`);
}
