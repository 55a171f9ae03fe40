import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { MicroLoraError } from '@microlora/core';

function ioError(action: string, path: string, cause: unknown): MicroLoraError {
  const code = (cause as { code?: unknown } | null)?.code;
  return new MicroLoraError(
    'IO_ERROR',
    `could not ${action} ${path}${typeof code === 'string' ? ` (${code})` : ''}: ${(cause as Error)?.message ?? String(cause)}`,
    { cause, details: { path, code } },
  );
}

/** Runs `use` with a fresh path in os.tmpdir() and removes whatever was written there. */
export async function withTempPath<T>(use: (path: string) => Promise<T>): Promise<T> {
  const path = join(tmpdir(), `microlora-hnsw-${process.pid}-${randomUUID()}.bin`);
  try {
    return await use(path);
  } finally {
    await fs.rm(path, { force: true }).catch(() => undefined);
  }
}

export async function readBytes(path: string): Promise<Uint8Array> {
  try {
    const buf = await fs.readFile(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (cause) {
    throw ioError('read', path, cause);
  }
}

/**
 * Replaces `path` with `bytes` atomically: write a temp file in the same directory,
 * fsync it, rename it over the target, then fsync the directory (best effort).
 * A crash leaves either the old file or the new one, never a torn one.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomUUID()}.tmp`);
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(temp, 'wx');
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(temp, path);
  } catch (cause) {
    await handle?.close().catch(() => undefined);
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw ioError('write', path, cause);
  }
  // Persist the rename itself; some platforms cannot open a directory, which is fine.
  try {
    const dirHandle = await fs.open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  } catch {
    // best effort
  }
}
