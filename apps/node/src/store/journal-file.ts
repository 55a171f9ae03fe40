import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { MicroLoraError, crc32 } from 'microlora';
import { ioError, syncDirectory } from '@microlora/bank/node';

/**
 * Journal file: an 8-byte header ("MLJR", u16 version 1, u16 0), then records, each
 * u32 byte length + a checksummed record container (journal-records.ts). Records
 * are only appended; one whose length or CRC does not check out ends the valid part.
 */
const HEADER = new Uint8Array([0x4d, 0x4c, 0x4a, 0x52, 1, 0, 0, 0]);
export const JOURNAL_HEADER_BYTES = HEADER.length;
/** Larger lengths are damage, not records (a record holds one pattern). */
const MAX_RECORD_BYTES = 64 << 20;
const JOURNAL_NAME = /^journal-(\d{8})\.mlj$/;

export function journalFileName(generation: number): string {
  return `journal-${String(generation).padStart(8, '0')}.mlj`;
}

/** The generation of a journal file name, or undefined for other files. */
export function journalGeneration(name: string): number | undefined {
  const match = JOURNAL_NAME.exec(name);
  return match === null ? undefined : Number(match[1]);
}

export interface JournalScan {
  /** Intact records in file order (views into the file bytes). */
  records: Uint8Array[];
  /** Bytes up to the end of the last intact record (header included). */
  validBytes: number;
  /** Bytes after it: a torn or damaged tail. */
  tailBytes: number;
  /** Why the tail was rejected (when tailBytes > 0). */
  tailReason: string | undefined;
}

function intact(record: Uint8Array): boolean {
  if (record.length < 10) return false;
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  return view.getUint32(record.length - 4, true) === crc32(record.subarray(0, record.length - 4));
}

/**
 * Splits a journal file into intact records and a rejected tail. A file shorter
 * than its header (killed while being created) scans as empty with that tail.
 */
export function scanJournal(bytes: Uint8Array): JournalScan {
  const records: Uint8Array[] = [];
  if (bytes.length < HEADER.length) {
    return { records, validBytes: 0, tailBytes: bytes.length, tailReason: 'the header is incomplete' };
  }
  for (let i = 0; i < HEADER.length; i++) {
    if (bytes[i] !== HEADER[i]) {
      return { records, validBytes: 0, tailBytes: bytes.length, tailReason: 'the header is not a MicroLoRA journal header' };
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = HEADER.length;
  let tailReason: string | undefined;
  while (pos < bytes.length) {
    if (bytes.length - pos < 4) {
      tailReason = 'a record length is incomplete';
      break;
    }
    const length = view.getUint32(pos, true);
    if (length > MAX_RECORD_BYTES || length > bytes.length - pos - 4) {
      tailReason = `a record of ${length} bytes runs past the end of the file`;
      break;
    }
    const record = bytes.subarray(pos + 4, pos + 4 + length);
    if (!intact(record)) {
      tailReason = 'a record fails its CRC-32';
      break;
    }
    records.push(record);
    pos += 4 + length;
  }
  return { records, validBytes: pos, tailBytes: bytes.length - pos, tailReason };
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Appends records to a journal with group commit: records appended while a
 * write+fdatasync is in flight go out together in the next one, and each
 * append() resolves only once its record is on disk. After an I/O failure every
 * append rejects with IO_ERROR (the in-memory state may then hold records the
 * disk does not: callers stop acknowledging).
 */
export class JournalWriter {
  private queue: Uint8Array[] = [];
  private waiters: Waiter[] = [];
  private flushing: Promise<void> | undefined;
  private failure: MicroLoraError | undefined;
  private closed = false;
  private size: number;
  private recordCount: number;

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    readonly generation: number,
    size: number,
    records: number,
  ) {
    this.size = size;
    this.recordCount = records;
  }

  /** Creates journal `generation` in `directory` (header fsynced, directory fsynced). */
  static async create(directory: string, generation: number): Promise<JournalWriter> {
    const path = join(directory, journalFileName(generation));
    let handle: FileHandle | undefined;
    try {
      handle = await open(path, 'wx', 0o600);
      await handle.write(HEADER);
      await handle.sync();
    } catch (cause) {
      await handle?.close().catch(() => undefined);
      throw ioError('create the journal', path, cause);
    }
    await syncDirectory(directory);
    return new JournalWriter(handle, path, generation, HEADER.length, 0);
  }

  /**
   * Continues an existing journal after its intact part: a torn tail (never
   * acknowledged) is cut off first; a file without a complete header is rewritten.
   */
  static async resume(path: string, generation: number, scan: JournalScan): Promise<JournalWriter> {
    let handle: FileHandle | undefined;
    try {
      handle = await open(path, 'r+');
      let size = scan.validBytes;
      if (scan.tailBytes > 0 || size < HEADER.length) {
        await handle.truncate(size);
        if (size < HEADER.length) {
          await handle.truncate(0);
          await handle.write(HEADER, 0, HEADER.length, 0);
          size = HEADER.length;
        }
        await handle.sync();
      }
      await handle.close();
      handle = await open(path, 'a');
      return new JournalWriter(handle, path, generation, size, scan.records.length);
    } catch (cause) {
      await handle?.close().catch(() => undefined);
      throw ioError('reopen the journal', path, cause);
    }
  }

  /** File size including queued records. */
  get bytes(): number {
    return this.size;
  }

  get records(): number {
    return this.recordCount;
  }

  get failed(): MicroLoraError | undefined {
    return this.failure;
  }

  /**
   * Queues records (in this order, after everything queued before) and resolves
   * once all are written and fdatasync'ed. The queueing itself is synchronous, so
   * the journal order is the order of append() calls.
   */
  append(records: readonly Uint8Array[]): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new MicroLoraError('IO_ERROR', `the journal ${this.path} is closed`));
    for (const record of records) {
      const frame = new Uint8Array(4 + record.length);
      new DataView(frame.buffer).setUint32(0, record.length, true);
      frame.set(record, 4);
      this.queue.push(frame);
      this.size += frame.length;
      this.recordCount++;
    }
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.flushing ??= this.flushLoop();
    return done;
  }

  /** Resolves when everything appended so far is on disk (rejects after a failure). */
  async drain(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing;
    if (this.failure !== undefined) throw this.failure;
  }

  /** Drains, then closes the file; later appends reject. */
  async close(): Promise<void> {
    this.closed = true;
    try {
      await this.drain();
    } finally {
      await this.handle.close().catch(() => undefined);
    }
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const frames = this.queue;
        const waiters = this.waiters;
        this.queue = [];
        this.waiters = [];
        try {
          const batch = frames.length === 1 ? (frames[0] as Uint8Array) : Buffer.concat(frames);
          let written = 0;
          while (written < batch.length) {
            const { bytesWritten } = await this.handle.write(batch, written, batch.length - written);
            written += bytesWritten;
          }
          await this.handle.datasync();
        } catch (cause) {
          this.failure = ioError('append to the journal', this.path, cause);
          for (const w of [...waiters, ...this.waiters]) w.reject(this.failure);
          this.queue = [];
          this.waiters = [];
          return;
        }
        for (const w of waiters) w.resolve();
      }
    } finally {
      this.flushing = undefined;
    }
  }
}
