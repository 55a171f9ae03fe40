import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { assertTimestepRange } from '@microlora/core';
import {
  MICRO_RANK_MAX,
  MicroLoraError,
  isCompressedLora,
  isMicroLoraError,
  type Clock,
  type CompressedLora,
  type LoraWeights,
  type MicroLora,
  type PatternMetrics,
  type RequestFeedback,
  type TimestepRange,
} from 'microlora';
import type { ProgressFactory } from '../progress.js';
import { ioError, syncDirectory } from '@microlora/bank/node';
import { runCompaction } from './compaction.js';
import { DataDirLock } from './data-dir-lock.js';
import { JournalWriter, journalFileName, journalGeneration } from './journal-file.js';
import { encodeRecord } from './journal-records.js';
import { loadDataDir, type LoadedDataDir } from './load-data-dir.js';
import type { StoreConfig } from './manifest.js';
import { sourcesOf } from './record-replay.js';
import type { ReplayClock } from './replay-clock.js';

/** Journal size that triggers a snapshot (then the journal starts over). */
export const DEFAULT_SNAPSHOT_BYTES = 64 << 20;

export interface PatternStoreOptions {
  /** Settings of a NEW data directory; for an existing one, given values must match its manifest. */
  config?: Partial<StoreConfig>;
  /** Read without locking, truncating or writing (stats, export). Default false. */
  readOnly?: boolean;
  /** Create the directory when missing. Default true unless readOnly. */
  create?: boolean;
  /** Journal bytes that trigger a snapshot. Default 64 MiB. */
  snapshotBytes?: number;
  progress?: ProgressFactory;
  log?: (message: string) => void;
  /** Time source of metrics, recency and journal records. Default the system clock. */
  clock?: Clock;
}

/** A pattern ready to store: embedded query, decoded weights. */
export interface PreparedPattern {
  id?: string;
  embedding: Float32Array;
  lora: CompressedLora | LoraWeights;
  timestepRange?: TimestepRange;
  metrics?: Partial<PatternMetrics>;
}

export interface StoredPatternResult {
  id: string;
  banks: readonly number[];
  replaced: boolean;
}

export interface InsertOutcome {
  inserted: StoredPatternResult[];
  evictedIds: string[];
}

export interface FeedbackOutcome {
  updated: number;
  /** Ids that are not stored (evicted or never inserted): skipped. */
  unknownIds: string[];
  patterns: { id: string; metrics: PatternMetrics }[];
}

export interface StoreStats {
  dataDir: string;
  config: StoreConfig;
  readOnly: boolean;
  /** Generation of the journal being appended to. */
  journalGeneration: number;
  journalBytes: number;
  journalRecords: number;
  snapshot: { generation: number; bytes: number; createdAt: string } | null;
  /** Snapshots this process wrote, and how long the last one took (in the background). */
  snapshotsWritten: number;
  lastCompactionMs: number | null;
  /** Records replayed at open, and the torn tail dropped then (never acknowledged). */
  replayedRecords: number;
  droppedTailBytes: number;
  /** Set once a journal write failed: mutations are refused until restart. */
  failure: string | null;
}

function hasNonZero(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) return true;
  return false;
}

/**
 * A MicroLoRA whose patterns survive crashes: every mutation (insert, feedback) is
 * applied in memory, appended to a journal of CRC-checked records and fdatasync'ed
 * before its promise resolves, so an acknowledged mutation is never lost. When the
 * journal passes `snapshotBytes`, a new journal generation starts and a worker
 * thread writes the snapshot covering the older ones (MicroLora.save(), atomically).
 * Opening loads the snapshot and replays the journals after it; a torn last record
 * (never acknowledged) is dropped.
 */
export class PatternStore {
  readonly directory: string;
  readonly config: StoreConfig;
  readonly micro: MicroLora;
  readonly readOnly: boolean;
  private readonly clock: ReplayClock;
  private readonly lock: DataDirLock | undefined;
  private writer: JournalWriter | undefined;
  private readonly snapshotBytes: number;
  private readonly log: (message: string) => void;
  private snapshotting: Promise<void> | undefined;
  private snapshotInfo: StoreStats['snapshot'];
  private snapshotsWritten = 0;
  private lastCompactionMs: number | null = null;
  private readonly replayedRecords: number;
  private readonly droppedTailBytes: number;
  private readonly readOnlyJournal: { generation: number; bytes: number; records: number };
  /** The first journal failure: memory may then hold changes the disk lacks, so mutations stop. */
  private failure: MicroLoraError | undefined;
  private closed = false;

  private constructor(
    directory: string,
    loaded: LoadedDataDir,
    lock: DataDirLock | undefined,
    writer: JournalWriter | undefined,
    options: PatternStoreOptions,
  ) {
    this.directory = directory;
    this.config = loaded.config;
    this.micro = loaded.micro;
    this.clock = loaded.clock;
    this.lock = lock;
    this.writer = writer;
    this.readOnly = options.readOnly ?? false;
    this.snapshotBytes = options.snapshotBytes ?? DEFAULT_SNAPSHOT_BYTES;
    this.log = options.log ?? (() => undefined);
    this.snapshotInfo = loaded.snapshot;
    this.replayedRecords = loaded.replayedRecords;
    this.droppedTailBytes = loaded.droppedTailBytes;
    this.readOnlyJournal = {
      generation: loaded.last?.generation ?? loaded.firstGeneration,
      bytes: loaded.last?.scan.validBytes ?? 0,
      records: loaded.last?.scan.records.length ?? 0,
    };
  }

  /**
   * Opens (or creates) a data directory: manifest, snapshot, journals (see
   * loadDataDir), then continues the last journal after its intact part.
   */
  static async open(dataDir: string, options: PatternStoreOptions = {}): Promise<PatternStore> {
    const readOnly = options.readOnly ?? false;
    const snapshotBytes = options.snapshotBytes ?? DEFAULT_SNAPSHOT_BYTES;
    if (!Number.isInteger(snapshotBytes) || snapshotBytes < 1) {
      throw new MicroLoraError('INVALID_ARGUMENT', `snapshotBytes must be a positive integer, got ${String(snapshotBytes)}`);
    }
    const directory = resolve(dataDir);
    if (options.create ?? !readOnly) {
      await mkdir(directory, { recursive: true }).catch((cause: unknown) => {
        throw ioError('create the data directory', directory, cause);
      });
    }
    const lock = readOnly ? undefined : await DataDirLock.acquire(directory);
    const load = (): Promise<LoadedDataDir> =>
      loadDataDir(directory, {
        readOnly,
        ...(options.config === undefined ? {} : { config: options.config }),
        ...(options.clock === undefined ? {} : { clock: options.clock }),
        ...(options.progress === undefined ? {} : { progress: options.progress }),
        ...(options.log === undefined ? {} : { log: options.log }),
      });
    try {
      let loaded: LoadedDataDir;
      try {
        loaded = await load();
      } catch (cause) {
        // A reader can race a running server's snapshot (journals deleted between listing and reading): look again once.
        if (!readOnly || !isMicroLoraError(cause) || (cause.code !== 'CORRUPT_DATA' && cause.code !== 'IO_ERROR')) throw cause;
        await new Promise((r) => setTimeout(r, 200));
        loaded = await load();
      }
      let writer: JournalWriter | undefined;
      if (!readOnly) {
        writer =
          loaded.last === undefined
            ? await JournalWriter.create(directory, loaded.firstGeneration)
            : await JournalWriter.resume(loaded.last.path, loaded.last.generation, loaded.last.scan);
      }
      return new PatternStore(directory, loaded, lock, writer, options);
    } catch (cause) {
      await lock?.release();
      throw cause;
    }
  }

  /**
   * Stores patterns and resolves once their journal records are on disk. Everything
   * checkable is checked before anything changes (ids, shapes, lengths, ranges).
   * An unexpected failure part-way stores the patterns before it (reported in the
   * error's details.inserted) and rejects.
   */
  async insertPatterns(patterns: readonly PreparedPattern[], options: { replace?: boolean } = {}): Promise<InsertOutcome> {
    this.checkWritable();
    const replace = options.replace ?? false;
    this.checkPatterns(patterns, replace);
    const at = this.clock.now();
    const inserted: StoredPatternResult[] = [];
    const evictedIds: string[] = [];
    const records: Uint8Array[] = [];
    let failure: unknown;
    for (const p of patterns) {
      try {
        const result = this.clock.pinnedAt(at, () =>
          this.micro.insertPattern(
            {
              ...(p.id === undefined ? {} : { id: p.id }),
              query: p.embedding,
              lora: p.lora,
              ...(p.timestepRange === undefined ? {} : { timestepRange: p.timestepRange }),
              ...(p.metrics === undefined ? {} : { metrics: p.metrics }),
            },
            { replace },
          ),
        );
        const stored = this.micro.manager.get(result.id);
        if (stored === undefined) throw new MicroLoraError('NOT_FOUND', `pattern ${JSON.stringify(result.id)} vanished right after its insert`);
        records.push(
          encodeRecord({
            kind: 'insert',
            at,
            id: result.id,
            timestepRange: stored.timestepRange,
            metrics: p.metrics,
            evictedIds: result.evictedIds,
            embedding: stored.embedding,
            lora: stored.lora,
          }),
        );
        inserted.push({ id: result.id, banks: result.banks, replaced: result.replaced });
        evictedIds.push(...result.evictedIds);
      } catch (cause) {
        failure = cause;
        break;
      }
    }
    if (records.length > 0) await this.append(records);
    if (failure !== undefined) {
      // A non-library error is a bug: rethrown as is (a 500), the patterns before it are stored all the same.
      if (inserted.length === 0 || !isMicroLoraError(failure)) throw failure;
      throw new MicroLoraError(failure.code, `${failure.message} (the ${inserted.length} patterns before it in this batch were stored)`, {
        cause: failure,
        details: { ...failure.details, inserted: inserted.map((p) => p.id) },
      });
    }
    return { inserted, evictedIds };
  }

  /**
   * Folds feedback into the metrics of the stored patterns among `patternIds`
   * (duplicates count once) and resolves once it is on disk. None stored → NOT_FOUND.
   */
  async feedback(patternIds: readonly string[], feedback: RequestFeedback): Promise<FeedbackOutcome> {
    this.checkWritable();
    const unique = [...new Set(patternIds)];
    const known = unique.filter((id) => this.micro.hasPattern(id));
    const unknownIds = unique.filter((id) => !this.micro.hasPattern(id));
    if (known.length === 0) {
      throw new MicroLoraError(
        'NOT_FOUND',
        `none of the patterns ${JSON.stringify(unique.slice(0, 5))}${unique.length > 5 ? '…' : ''} is stored (evicted, or never inserted)`,
        { details: { unknownIds: unique.slice(0, 100) } },
      );
    }
    const at = this.clock.now();
    const updated = this.clock.pinnedAt(at, () => this.micro.feedback(sourcesOf(known), feedback));
    await this.append([
      encodeRecord({
        kind: 'feedback',
        at,
        patternIds: known,
        quality: feedback.quality,
        denoisingQuality: feedback.denoisingQuality,
        latencyMs: feedback.latencyMs,
        userId: feedback.userId,
      }),
    ]);
    const patterns = known.flatMap((id) => {
      const metrics = this.micro.manager.get(id)?.metrics;
      return metrics === undefined ? [] : [{ id, metrics: { ...metrics } }];
    });
    return { updated, unknownIds, patterns };
  }

  /**
   * Starts a new journal generation, then writes the snapshot that hands over to it
   * from the files (previous snapshot + the closed journals) in a worker thread, and
   * deletes the journals it covers. Mutations go on meanwhile (into the new journal).
   * Concurrent calls share one snapshot.
   */
  snapshot(): Promise<void> {
    this.checkWritable();
    this.snapshotting ??= this.rotateAndCompact().finally(() => {
      this.snapshotting = undefined;
    });
    return this.snapshotting;
  }

  stats(): StoreStats {
    const writer = this.writer;
    return {
      dataDir: this.directory,
      config: this.config,
      readOnly: this.readOnly,
      journalGeneration: writer?.generation ?? this.readOnlyJournal.generation,
      journalBytes: writer?.bytes ?? this.readOnlyJournal.bytes,
      journalRecords: writer?.records ?? this.readOnlyJournal.records,
      snapshot: this.snapshotInfo,
      snapshotsWritten: this.snapshotsWritten,
      lastCompactionMs: this.lastCompactionMs,
      replayedRecords: this.replayedRecords,
      droppedTailBytes: this.droppedTailBytes,
      failure: this.failure?.message ?? null,
    };
  }

  /** Why mutations are refused (read-only, closed, journal failure), or undefined. */
  get unavailableReason(): string | undefined {
    if (this.closed) return 'the store is closed';
    if (this.readOnly) return 'the store is open read-only';
    return this.failure === undefined ? undefined : `the journal failed (${this.failure.message}); restart the service`;
  }

  /** Waits for pending writes and a running snapshot, closes the journal and releases the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.snapshotting?.catch(() => undefined);
      await this.writer?.close();
    } finally {
      await this.lock?.release();
    }
  }

  private checkWritable(): void {
    const reason = this.unavailableReason;
    if (reason !== undefined) throw new MicroLoraError('IO_ERROR', `cannot change the store: ${reason}`);
  }


  /** Journals records (in call order); resolves once they are on disk. */
  private append(records: readonly Uint8Array[]): Promise<void> {
    const writer = this.writer as JournalWriter;
    const durable = writer.append(records).catch((cause: unknown) => {
      this.failure ??= isMicroLoraError(cause) ? cause : new MicroLoraError('IO_ERROR', String(cause), { cause });
      throw cause;
    });
    if (writer.bytes >= this.snapshotBytes && this.snapshotting === undefined && this.failure === undefined) {
      this.snapshot().catch((cause: unknown) => {
        this.log(`snapshot failed (the journal keeps every change): ${cause instanceof Error ? cause.message : String(cause)}`);
      });
    }
    return durable;
  }

  private checkPatterns(patterns: readonly PreparedPattern[], replace: boolean): void {
    if (!Array.isArray(patterns) || patterns.length === 0) {
      throw new MicroLoraError('INVALID_ARGUMENT', 'give at least one pattern');
    }
    const { dimension, hiddenSize } = this.config;
    const seen = new Set<string>();
    patterns.forEach((p, i) => {
      const where = patterns.length === 1 ? 'pattern' : `patterns[${i}]`;
      if (p.id !== undefined) {
        if (seen.has(p.id)) {
          throw new MicroLoraError('DUPLICATE_ID', `${where}: id ${JSON.stringify(p.id)} appears twice in this batch`, { details: { id: p.id } });
        }
        seen.add(p.id);
        if (!replace && this.micro.hasPattern(p.id)) {
          throw new MicroLoraError('DUPLICATE_ID', `${where}: a pattern with id ${JSON.stringify(p.id)} is already stored; send replace: true to overwrite it`, {
            details: { id: p.id },
          });
        }
      }
      if (p.embedding.length !== dimension) {
        throw new MicroLoraError('DIMENSION_MISMATCH', `${where}: the embedding has ${p.embedding.length} values, this store uses ${dimension}`, {
          details: { index: i, length: p.embedding.length, dimension },
        });
      }
      if (!hasNonZero(p.embedding)) {
        throw new MicroLoraError('INVALID_ARGUMENT', `${where}: the query embedding is all zeros (a text without any word?); it could never be retrieved`, {
          details: { index: i },
        });
      }
      const { lora } = p;
      if (lora.inFeatures !== hiddenSize || lora.outFeatures !== hiddenSize) {
        throw new MicroLoraError(
          'DIMENSION_MISMATCH',
          `${where}: the adapter is ${lora.inFeatures} → ${lora.outFeatures}, this store holds ${hiddenSize} → ${hiddenSize} adapters`,
          { details: { index: i, inFeatures: lora.inFeatures, outFeatures: lora.outFeatures, hiddenSize } },
        );
      }
      if (lora.rank > MICRO_RANK_MAX) {
        throw new MicroLoraError('RANK_OUT_OF_RANGE', `${where}: rank ${lora.rank} is above ${MICRO_RANK_MAX}, the largest a stored micro-adapter may have`, {
          details: { index: i, rank: lora.rank, max: MICRO_RANK_MAX },
        });
      }
      if (p.timestepRange !== undefined) assertTimestepRange(p.timestepRange, `${where}.timestepRange`);
      if (!isCompressedLora(lora) && !(lora.a instanceof Float32Array)) {
        throw new MicroLoraError('INVALID_ARGUMENT', `${where}: lora must be LoraWeights or a CompressedLora`);
      }
    });
  }

  private async rotateAndCompact(): Promise<void> {
    const previous = this.writer as JournalWriter;
    const generation = previous.generation + 1;
    const next = await JournalWriter.create(this.directory, generation);
    // From here appends go to the new journal; closing drains the old one, which is then complete.
    this.writer = next;
    try {
      await previous.close();
    } catch (cause) {
      this.failure ??= isMicroLoraError(cause) ? cause : new MicroLoraError('IO_ERROR', String(cause), { cause });
      throw cause;
    }
    const started = performance.now();
    const result = await runCompaction(this.directory, generation);
    this.lastCompactionMs = performance.now() - started;
    this.snapshotInfo = { generation: result.generation, bytes: result.bytes, createdAt: new Date().toISOString() };
    this.snapshotsWritten++;
    let names: string[] = [];
    try {
      names = await readdir(this.directory);
    } catch {
      // Covered journals stay until the next open removes them.
    }
    for (const name of names) {
      const g = journalGeneration(name);
      if (g !== undefined && g < result.generation) await unlink(join(this.directory, name)).catch(() => undefined);
    }
    await syncDirectory(this.directory).catch(() => undefined);
    this.log(`snapshot written in ${(this.lastCompactionMs / 1000).toFixed(1)} s (background): ${result.patterns} patterns, ${result.bytes} bytes; journal ${journalFileName(generation)} continues it`);
  }
}

