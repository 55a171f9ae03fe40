#!/usr/bin/env node
// The `microlora` command: demo, generate, serve, import, export, stats, bench.
import { runCli } from './cli/run-cli.js';
import { processIo } from './cli/io.js';

process.exitCode = await runCli(process.argv.slice(2), processIo());
