import type { Readable } from 'node:stream';
import { silentProgress, stderrProgress, type ProgressFactory } from '../progress.js';

/** Where a command reads and writes: the process's streams, or test doubles. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  stdin: Readable;
  /** Progress bars for long operations (stderr; silent under --quiet). */
  progress: ProgressFactory;
  /** Ends `serve` (besides SIGINT/SIGTERM). */
  shutdown?: AbortSignal;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, progress: stderrProgress };
}

/** The io with progress silenced when `quiet`. */
export function withQuiet(io: CliIo, quiet: boolean | undefined): CliIo {
  return quiet === true ? { ...io, progress: silentProgress } : io;
}
