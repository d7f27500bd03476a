import { mkdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/**
 * Every file seccomplete keeps (corpus entries, coverage, profiles, reports) is
 * written to a temporary file and renamed into place, so a Ctrl-C or a kill in the
 * middle of a write leaves either the old file or the new one, never half of one.
 */
export async function writeFileAtomically(file: string, data: string | Buffer): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, data, { fsync: true });
}

export async function writeJsonAtomically(file: string, value: unknown): Promise<void> {
  await writeFileAtomically(file, `${JSON.stringify(value, null, 2)}\n`);
}

export function writeJsonAtomicallySync(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic.sync(file, `${JSON.stringify(value, null, 2)}\n`, { fsync: true });
}
