#!/usr/bin/env node
// Thin launcher: the CLI is compiled from src/cli to dist/ by `npm run build`.
import { main } from '../dist/src/cli/main.js';

// `seccomplete fuzz --help | head`: a reader that goes away is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => {
    // main() reports its own errors; this is the last line of defence.
    process.stderr.write(`seccomplete: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 70;
  },
);
