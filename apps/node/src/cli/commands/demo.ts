import type { Command } from '../command.js';
import { parseCommandLine } from '../options.js';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the quick-start demo (compress, apply and time one adapter)',
  help: `Usage: microlora demo

Runs the quick-start demo: one rank-2 768×768 adapter quantised to int8 and
applied to a hidden state, with its size, error and speed.`,
  async run(args) {
    parseCommandLine(args, {});
    await import('../../demo.js');
    return 0;
  },
};
