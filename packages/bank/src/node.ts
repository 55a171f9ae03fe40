/// <reference types="node" />
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { MicroLoraError } from '@microlora/core';
import { MicroLoraBank, type LoadBankOptions } from './bank.js';

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

/** True for the temporary files writeFileAtomic leaves behind when killed mid-write. */
export function isTemporaryFile(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
}

/**
 * Writes `chunks` to `path` so that after a crash `path` holds either its old or
 * its new contents, never a torn file: a temporary file in the same directory is
 * written and fsynced, renamed over `path`, then the directory is fsynced.
 * File system errors → IO_ERROR ("could not <action> <path>").
 */
export async function writeFileAtomic(path: string, chunks: readonly Uint8Array[], action = 'write'): Promise<void> {
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
    throw ioError(action, path, cause);
  }
  await syncDirectory(directory);
}

/**
 * Writes `bank.save()` to `path` atomically (see writeFileAtomic): after a crash
 * `path` holds either the old or the new bank, never a torn file. File system
 * errors → IO_ERROR.
 */
export async function saveBankToFile(bank: MicroLoraBank, path: string): Promise<void> {
  if (!(bank instanceof MicroLoraBank)) throw new MicroLoraError('INVALID_ARGUMENT', 'bank must be a MicroLoraBank');
  if (typeof path !== 'string' || path.length === 0)
    throw new MicroLoraError('INVALID_ARGUMENT', 'path must be a non-empty string');
  await writeFileAtomic(path, [await bank.save()], 'save the bank to');
}

/** Reads a bank written by saveBankToFile. Missing/unreadable file → IO_ERROR; bad contents → CORRUPT_DATA. */
export async function loadBankFromFile(path: string, options: LoadBankOptions = {}): Promise<MicroLoraBank> {
  if (typeof path !== 'string' || path.length === 0)
    throw new MicroLoraError('INVALID_ARGUMENT', 'path must be a non-empty string');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw ioError('read the bank from', path, cause);
  }
  return MicroLoraBank.load(bytes, options);
}
