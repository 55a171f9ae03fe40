import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SeededRng, encodeBinary } from 'microlora';
import { afterAll, describe, expect, it } from 'vitest';
import { JOURNAL_HEADER_BYTES, JournalWriter, journalFileName, journalGeneration, scanJournal } from '../src/store/journal-file.js';
import { decodeRecord, encodeRecord, type FeedbackRecord, type InsertRecord } from '../src/store/journal-records.js';
import { compressedLora, removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

function insertRecord(i: number): InsertRecord {
  return {
    kind: 'insert',
    at: 1_700_000_000_000 + i,
    id: `pattern-${i}`,
    timestepRange: [0.25, 0.75],
    metrics: i % 2 === 0 ? { successRate: 0.9, usageCount: 3 } : undefined,
    evictedIds: i % 3 === 0 ? ['old-1', 'old-2'] : [],
    embedding: new SeededRng(i).fillNormal(new Float32Array(16)),
    lora: compressedLora(8, i),
  };
}

const feedback: FeedbackRecord = {
  kind: 'feedback',
  at: 1_700_000_000_123.5,
  patternIds: ['a', 'b', 'ünïcode'],
  quality: 0.25,
  denoisingQuality: undefined,
  latencyMs: 12.5,
  userId: 'user-7',
};

async function journalWith(count: number): Promise<{ path: string; bytes: Uint8Array; ends: number[] }> {
  const dir = await tempDir();
  const writer = await JournalWriter.create(dir, 3);
  const ends: number[] = [];
  for (let i = 0; i < count; i++) {
    await writer.append([encodeRecord(insertRecord(i))]);
    ends.push(writer.bytes);
  }
  await writer.close();
  const path = join(dir, journalFileName(3));
  return { path, bytes: await readFile(path), ends };
}

describe('journal records', () => {
  it('round-trip inserts field by field, the adapter bit-exact', () => {
    for (let i = 0; i < 4; i++) {
      const record = insertRecord(i);
      const back = decodeRecord(encodeRecord(record)) as InsertRecord;
      expect(back.kind).toBe('insert');
      expect(back.at).toBe(record.at);
      expect(back.id).toBe(record.id);
      expect(back.timestepRange).toEqual(record.timestepRange);
      expect(back.metrics).toEqual(record.metrics);
      expect(back.evictedIds).toEqual(record.evictedIds);
      expect(Array.from(back.embedding)).toEqual(Array.from(record.embedding));
      expect(encodeBinary(back.lora)).toEqual(encodeBinary(record.lora));
    }
  });

  it('round-trip feedback, keeping which optional fields were absent', () => {
    expect(decodeRecord(encodeRecord(feedback))).toEqual(feedback);
    const all: FeedbackRecord = { ...feedback, denoisingQuality: 0, latencyMs: undefined, userId: undefined };
    expect(decodeRecord(encodeRecord(all))).toEqual(all);
  });

  it('rejects a flipped bit with CORRUPT_DATA (CRC), and unknown magic', () => {
    const bytes = encodeRecord(feedback);
    for (const position of [0, 7, 20, bytes.length - 1]) {
      const damaged = bytes.slice();
      damaged[position] = (damaged[position] as number) ^ 0x10;
      expect(() => decodeRecord(damaged)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }));
    }
  });
});

describe('journal files', () => {
  it('name generations with 8 digits and parse them back', () => {
    expect(journalFileName(42)).toBe('journal-00000042.mlj');
    expect(journalGeneration('journal-00000042.mlj')).toBe(42);
    expect(journalGeneration('journal-42.mlj')).toBeUndefined();
    expect(journalGeneration('.journal-00000042.mlj.tmp')).toBeUndefined();
  });

  it('scan every record of an intact file in order', async () => {
    const { bytes, ends } = await journalWith(5);
    const scan = scanJournal(bytes);
    expect(scan.tailBytes).toBe(0);
    expect(scan.validBytes).toBe(bytes.length);
    expect(scan.records.map((r) => (decodeRecord(r) as InsertRecord).id)).toEqual([0, 1, 2, 3, 4].map((i) => `pattern-${i}`));
    expect(ends.at(-1)).toBe(bytes.length);
  });

  it('drop a torn last record at every cut point and keep all before it', async () => {
    const { bytes, ends } = await journalWith(3);
    const lastStart = ends[1] as number;
    for (let cut = lastStart + 1; cut < bytes.length; cut++) {
      const scan = scanJournal(bytes.subarray(0, cut));
      expect(scan.records).toHaveLength(2);
      expect(scan.validBytes).toBe(lastStart);
      expect(scan.tailBytes).toBe(cut - lastStart);
    }
    // Cut exactly at a record boundary: nothing torn.
    expect(scanJournal(bytes.subarray(0, lastStart)).tailBytes).toBe(0);
  });

  it('end the valid part at a damaged record (CRC), an absurd length, or a missing header', async () => {
    const { bytes, ends } = await journalWith(3);
    const damaged = bytes.slice();
    damaged[(ends[0] as number) + 30]! ^= 0xff;
    const scan = scanJournal(damaged);
    expect(scan.records).toHaveLength(1);
    expect(scan.tailReason).toMatch(/CRC/);

    const hugeLength = bytes.slice();
    new DataView(hugeLength.buffer).setUint32(ends[0] as number, 0xfffffff0, true);
    expect(scanJournal(hugeLength).records).toHaveLength(1);

    expect(scanJournal(bytes.subarray(0, 5))).toMatchObject({ records: [], validBytes: 0, tailBytes: 5 });
    const foreign = bytes.slice();
    foreign[0] = 0x41;
    expect(scanJournal(foreign)).toMatchObject({ records: [], validBytes: 0 });
  });

  it('resume after the valid part: the torn tail is cut off and new records follow the old', async () => {
    const { path, bytes, ends } = await journalWith(2);
    await writeFile(path, bytes.subarray(0, (ends[1] as number) - 3));
    const scan = scanJournal(await readFile(path));
    expect(scan.records).toHaveLength(1);
    const writer = await JournalWriter.resume(path, 3, scan);
    await writer.append([encodeRecord(feedback)]);
    await writer.close();
    const after = scanJournal(await readFile(path));
    expect(after.tailBytes).toBe(0);
    expect(after.records.map((r) => decodeRecord(r).kind)).toEqual(['insert', 'feedback']);
  });

  it('resume a file killed while its header was written: the header is rewritten', async () => {
    const dir = await tempDir();
    const path = join(dir, journalFileName(1));
    await writeFile(path, new Uint8Array([0x4d, 0x4c]));
    const writer = await JournalWriter.resume(path, 1, scanJournal(await readFile(path)));
    expect(writer.bytes).toBe(JOURNAL_HEADER_BYTES);
    await writer.append([encodeRecord(feedback)]);
    await writer.close();
    expect(scanJournal(await readFile(path)).records).toHaveLength(1);
  });

  it('group-commit concurrent appends: all resolve, the file holds them in append order', async () => {
    const dir = await tempDir();
    const writer = await JournalWriter.create(dir, 1);
    const ids = Array.from({ length: 60 }, (_, i) => i);
    await Promise.all(ids.map((i) => writer.append([encodeRecord({ ...feedback, patternIds: [`p${i}`] })])));
    expect(writer.records).toBe(60);
    await writer.close();
    const scan = scanJournal(await readFile(join(dir, journalFileName(1))));
    expect(scan.records.map((r) => (decodeRecord(r) as FeedbackRecord).patternIds[0])).toEqual(ids.map((i) => `p${i}`));
    await expect(writer.append([encodeRecord(feedback)])).rejects.toMatchObject({ code: 'IO_ERROR' });
  });
});
