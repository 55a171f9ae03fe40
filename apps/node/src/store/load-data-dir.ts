import { readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { MicroLoraError, createMicroLora, loadMicroLora, type Clock, type MicroLora } from 'microlora';
import { silentProgress, type ProgressFactory } from '../progress.js';
import { ioError, isTemporaryFile } from '@microlora/bank/node';
import { journalFileName, journalGeneration, scanJournal, type JournalScan } from './journal-file.js';
import { decodeRecord } from './journal-records.js';
import { DEFAULT_STORE_CONFIG, readManifest, writeManifest, type StoreConfig } from './manifest.js';
import { replayRecord } from './record-replay.js';
import { ReplayClock } from './replay-clock.js';
import { SNAPSHOT_FILE, readSnapshot } from './snapshot-file.js';

export interface LoadDataDirOptions {
  /** Read only: no manifest creation, no clean-up of temporary files and old journals. */
  readOnly: boolean;
  /** Settings of a new directory; for an existing one, given values must match. */
  config?: Partial<StoreConfig>;
  clock?: Clock;
  progress?: ProgressFactory;
  log?: (message: string) => void;
  /** Replay only journals before this generation (all of them must be complete). */
  beforeGeneration?: number;
}

export interface LoadedDataDir {
  config: StoreConfig;
  micro: MicroLora;
  clock: ReplayClock;
  /** The journal to continue (the last one replayed), if any. */
  last: { path: string; generation: number; scan: JournalScan } | undefined;
  /** The generation the snapshot hands over to (1 without a snapshot). */
  firstGeneration: number;
  snapshot: { generation: number; bytes: number; createdAt: string } | null;
  replayedRecords: number;
  /** The torn tail of the last journal (never acknowledged): dropped. */
  droppedTailBytes: number;
  droppedTailReason: string | undefined;
}

function sameBoundaries(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => Math.abs(v - (b[i] as number)) < 1e-12);
}

function checkConfigMatches(directory: string, stored: StoreConfig, given: Partial<StoreConfig>): void {
  for (const key of Object.keys(given) as (keyof StoreConfig)[]) {
    const value = given[key];
    if (value === undefined) continue;
    const same = key === 'boundaries' ? sameBoundaries(value as number[], stored.boundaries) : value === stored[key];
    if (!same) {
      throw new MicroLoraError(
        'INVALID_ARGUMENT',
        `${directory} was created with ${key} ${JSON.stringify(stored[key])}, not ${JSON.stringify(value)}; omit the setting or use another data directory`,
        { details: { key, stored: stored[key], given: value } },
      );
    }
  }
}

function definedOnly(config: Partial<StoreConfig> | undefined): Partial<StoreConfig> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config ?? {})) if (value !== undefined) out[key] = value;
  return out as Partial<StoreConfig>;
}

export function microOptions(config: StoreConfig, clock: Clock): Parameters<typeof createMicroLora>[0] {
  return {
    dimension: config.dimension,
    hiddenSize: config.hiddenSize,
    maxPatternsPerBank: config.maxPatternsPerBank,
    index: config.index,
    boundaries: config.boundaries,
    clock,
  };
}

/**
 * Rebuilds the MicroLoRA of a data directory: the snapshot, then every record of the
 * journals after it. Only the last journal may end in a torn record (dropped);
 * damage a crash cannot explain (a bad snapshot, a bad record before the last
 * journal's tail, a missing journal) → CORRUPT_DATA, nothing silently dropped.
 */
export async function loadDataDir(directory: string, options: LoadDataDirOptions): Promise<LoadedDataDir> {
  const { readOnly } = options;
  const progress = options.progress ?? silentProgress;
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (cause) {
    if ((cause as { code?: string }).code === 'ENOENT') {
      throw new MicroLoraError('NOT_FOUND', `there is no data directory ${directory}; create one with \`microlora serve\` or \`microlora import\``);
    }
    throw ioError('list the data directory', directory, cause);
  }
  let config = await readManifest(directory);
  const journals = names
    .map((name) => ({ name, generation: journalGeneration(name) }))
    .filter((j): j is { name: string; generation: number } => j.generation !== undefined)
    .sort((a, b) => a.generation - b.generation);
  if (config === undefined) {
    if (journals.length > 0 || names.includes(SNAPSHOT_FILE)) {
      throw new MicroLoraError('CORRUPT_DATA', `${directory} holds journals or a snapshot but no store.json manifest; restore it from a backup`);
    }
    if (readOnly) throw new MicroLoraError('NOT_FOUND', `${directory} is not a MicroLoRA data directory (no store.json)`);
    config = { ...DEFAULT_STORE_CONFIG, boundaries: [...DEFAULT_STORE_CONFIG.boundaries], ...definedOnly(options.config) };
    // Fails with the library's own message on bad settings before anything is written.
    createMicroLora(microOptions(config, new ReplayClock(options.clock)));
    await writeManifest(directory, config);
  } else if (options.config !== undefined) {
    checkConfigMatches(directory, config, options.config);
  }
  if (!readOnly) {
    for (const name of names) if (isTemporaryFile(name)) await unlink(join(directory, name)).catch(() => undefined);
  }

  const clock = new ReplayClock(options.clock);
  const snapshot = await readSnapshot(directory);
  let micro: MicroLora;
  if (snapshot === undefined) {
    micro = createMicroLora(microOptions(config, clock));
  } else {
    const bar = progress('loading snapshot', snapshot.fileBytes, 'bytes');
    micro = await loadMicroLora(snapshot.payload, { clock });
    bar.update(snapshot.fileBytes);
    bar.finish(`${micro.stats().patterns} patterns`);
  }
  const first = snapshot?.generation ?? 1;
  const end = options.beforeGeneration ?? Number.POSITIVE_INFINITY;
  const live = journals.filter((j) => j.generation >= first && j.generation < end);
  live.forEach((j, i) => {
    if (j.generation !== first + i) {
      throw new MicroLoraError('CORRUPT_DATA', `${directory}: journal ${journalFileName(first + i)} is missing (found ${j.name}); restore it from a backup`);
    }
  });
  if (options.beforeGeneration !== undefined && first < options.beforeGeneration && live.length !== options.beforeGeneration - first) {
    throw new MicroLoraError('CORRUPT_DATA', `${directory}: journal ${journalFileName(options.beforeGeneration - 1)} is missing`);
  }
  if (!readOnly) {
    for (const j of journals) if (j.generation < first) await unlink(join(directory, j.name)).catch(() => undefined);
  }

  const scans: JournalScan[] = [];
  let totalRecords = 0;
  for (const [i, j] of live.entries()) {
    const path = join(directory, j.name);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (cause) {
      throw ioError('read the journal', path, cause);
    }
    const scan = scanJournal(bytes);
    const lastOne = i === live.length - 1 && options.beforeGeneration === undefined;
    if (scan.tailBytes > 0 && !lastOne) {
      throw new MicroLoraError(
        'CORRUPT_DATA',
        `${path} is damaged at byte ${scan.validBytes} (${scan.tailReason ?? 'bad record'}) although it was closed; restore it from a backup`,
      );
    }
    scans.push(scan);
    totalRecords += scan.records.length;
  }

  const bar = totalRecords > 0 ? progress('replaying journal', totalRecords, 'items') : silentProgress('', 0);
  let replayed = 0;
  for (const [i, scan] of scans.entries()) {
    for (const [r, bytes] of scan.records.entries()) {
      try {
        replayRecord(micro, clock, decodeRecord(bytes));
      } catch (cause) {
        const reason = cause instanceof Error ? cause.message : String(cause);
        throw new MicroLoraError(
          'CORRUPT_DATA',
          `${join(directory, live[i]?.name ?? '?')} record ${r + 1} (intact CRC) could not be replayed: ${reason}`,
          { cause },
        );
      }
      replayed++;
      if ((replayed & 255) === 0) bar.update(replayed);
    }
  }
  bar.update(replayed);
  bar.finish(`${micro.stats().patterns} patterns`);

  const lastJournal = live.at(-1);
  const lastScan = scans.at(-1);
  const droppedTailBytes = options.beforeGeneration === undefined ? (lastScan?.tailBytes ?? 0) : 0;
  if (droppedTailBytes > 0) {
    options.log?.(`dropped a torn journal tail of ${droppedTailBytes} bytes in ${lastJournal?.name ?? '?'} (${lastScan?.tailReason ?? ''}); it was never acknowledged`);
  }
  return {
    config,
    micro,
    clock,
    last: lastJournal === undefined || lastScan === undefined ? undefined : { path: join(directory, lastJournal.name), generation: lastJournal.generation, scan: lastScan },
    firstGeneration: first,
    snapshot:
      snapshot === undefined ? null : { generation: snapshot.generation, bytes: snapshot.fileBytes, createdAt: new Date(snapshot.createdAt).toISOString() },
    replayedRecords: replayed,
    droppedTailBytes,
    droppedTailReason: lastScan?.tailReason,
  };
}
