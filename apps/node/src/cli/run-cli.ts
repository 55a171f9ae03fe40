import type { Command } from './command.js';
import { benchCommand } from './commands/bench.js';
import { demoCommand } from './commands/demo.js';
import { exportCommand } from './commands/export.js';
import { generateCommand } from './commands/generate.js';
import { importCommand } from './commands/import.js';
import { serveCommand } from './commands/serve.js';
import { statsCommand } from './commands/stats.js';
import type { CliIo } from './io.js';
import { UsageError } from './usage-error.js';

const COMMANDS: readonly Command[] = [demoCommand, generateCommand, serveCommand, importCommand, exportCommand, statsCommand, benchCommand];

export const MAIN_HELP = `Usage: microlora <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(8)} ${c.summary}`).join('\n')}

Run \`microlora <command> --help\` for a command's options.`;

function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Runs `microlora <command> …` and resolves with the exit code: 0 on success,
 * 2 with one line on stderr for any error (usage or runtime).
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    io.stderr.write(`${MAIN_HELP}\n`);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${MAIN_HELP}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr.write(`microlora: error: unknown command ${JSON.stringify(name)}; run \`microlora --help\` for the list\n`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(`${command.help}\n`);
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    const hint = error instanceof UsageError ? `; run \`microlora ${command.name} --help\`` : '';
    io.stderr.write(`microlora ${command.name}: error: ${oneLine(error)}${hint}\n`);
    return 2;
  }
}
