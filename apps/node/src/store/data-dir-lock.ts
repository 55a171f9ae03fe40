import { open, readFile, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MicroLoraError } from 'microlora';
import { ioError } from '@microlora/bank/node';

const LOCK_FILE = 'LOCK';
/** Lock files this process holds: a lock with our pid that is not here was left by an earlier process that had our pid. */
const heldHere = new Set<string>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (cause) {
    // EPERM: it exists but belongs to someone else.
    return (cause as { code?: string }).code === 'EPERM';
  }
}

/**
 * One writer per data directory: a LOCK file holding the owner's pid, created
 * exclusively. A lock left by a process that no longer runs (killed) is taken over.
 */
export class DataDirLock {
  private constructor(private readonly path: string) {}

  static async acquire(directory: string): Promise<DataDirLock> {
    const path = join(resolve(directory), LOCK_FILE);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const handle = await open(path, 'wx', 0o600);
        try {
          await handle.write(`${process.pid}\n`);
        } finally {
          await handle.close();
        }
        heldHere.add(path);
        return new DataDirLock(path);
      } catch (cause) {
        if ((cause as { code?: string }).code !== 'EEXIST') throw ioError('lock the data directory with', path, cause);
      }
      const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
      const ours = owner === process.pid;
      if (Number.isInteger(owner) && owner > 0 && ((ours && heldHere.has(path)) || (!ours && processAlive(owner)))) {
        throw new MicroLoraError(
          'IO_ERROR',
          `the data directory ${directory} is in use by process ${owner}; stop it first, or use another --data-dir`,
          { details: { directory, pid: owner } },
        );
      }
      // A stale lock (its process is gone, or the file is empty because it died while writing it).
      await unlink(path).catch(() => undefined);
    }
    throw new MicroLoraError('IO_ERROR', `could not lock the data directory ${directory}: the lock file kept reappearing`);
  }

  async release(): Promise<void> {
    if (!heldHere.delete(this.path)) return;
    await unlink(this.path).catch(() => undefined);
  }
}
