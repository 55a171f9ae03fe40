import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { MicroLoraError } from '@microlora/core';

/** An IO_ERROR naming the action and the path. */
export function ioError(action: string, path: string, cause: unknown): MicroLoraError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new MicroLoraError('IO_ERROR', `could not ${action} ${path}: ${reason}`, { cause, details: { path } });
}

/**
 * Makes renames and file creations in `directory` durable. Platforms that cannot
 * open or fsync a directory (Windows) make it as durable as they allow.
 */
export async function syncDirectory(directory: string): Promise<void> {
  let handle;
  try {
    handle = await open(directory, 'r');
  } catch {
    return;
  }
  try {
    await handle.sync();
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'EISDIR' && code !== 'ENOTSUP') {
      throw ioError('fsync the directory', directory, cause);
    }
  } finally {
    await handle.close();
  }
}

/** Prefix of the temporary files writeFileAtomic leaves behind when killed mid-write. */
export function isTemporaryFile(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
}

/**
 * Writes `chunks` to `path` so that after a crash `path` holds either its old or
 * its new contents, never a torn file: a temporary file in the same directory is
 * written and fsynced, renamed over `path`, then the directory is fsynced.
 */
export async function writeFileAtomic(path: string, chunks: readonly Uint8Array[]): Promise<void> {
  const directory = dirname(path);
  const temporary = join(directory, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx', 0o600);
    try {
      for (const chunk of chunks) await handle.write(chunk);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (cause) {
    await unlink(temporary).catch(() => undefined);
    throw ioError('write', path, cause);
  }
  await syncDirectory(directory);
}
