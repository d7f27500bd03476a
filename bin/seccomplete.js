#!/usr/bin/env node
// Thin launcher: the CLI is compiled from src/cli to dist/ by `npm run build`.
import { main } from '../dist/src/cli/main.js';

main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => {
    // main() reports its own errors; this is the last line of defence.
    process.stderr.write(`seccomplete: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 70;
  },
);
