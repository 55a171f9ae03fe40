import type { CliIo } from './io.js';

/** One `microlora <name>` subcommand. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Full --help text. */
  help: string;
  /** Resolves with the exit code; throws UsageError or MicroLoraError for errors (exit 2). */
  run(args: readonly string[], io: CliIo): Promise<number>;
}
