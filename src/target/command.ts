import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { targetError } from '../errors.js';

/**
 * Fails early, in one line, when the target's program does not exist: strace would
 * otherwise start, fail to exec and leave a less helpful message.
 */
export function assertCommandExists(program: string, env: NodeJS.ProcessEnv = process.env): string {
  const candidates = program.includes('/')
    ? [path.resolve(program)]
    : (env.PATH ?? '').split(':').filter(Boolean).map((dir) => path.join(dir, program));
  for (const file of candidates) {
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  throw targetError(
    program.includes('/') ? `target command '${program}' does not exist or is not executable` : `target command '${program}' not found in PATH`,
  );
}
