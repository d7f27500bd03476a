import writeFileAtomic from 'write-file-atomic';

/**
 * Every file seccomplete keeps (corpus entries, coverage, profiles, reports) is
 * written to a temporary file and renamed into place, so a Ctrl-C or a kill in the
 * middle of a write leaves either the old file or the new one, never half of one.
 */
export async function writeFileAtomically(path: string, data: string | Buffer): Promise<void> {
  await writeFileAtomic(path, data, { fsync: true });
}

export async function writeJsonAtomically(path: string, value: unknown): Promise<void> {
  await writeFileAtomically(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function writeJsonAtomicallySync(path: string, value: unknown): void {
  writeFileAtomic.sync(path, `${JSON.stringify(value, null, 2)}\n`, { fsync: true });
}
