import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { dataError, environmentError } from '../errors.js';
import { writeJsonAtomically } from '../util/atomic.js';
import { CRASH_FORMAT, ENTRY_FORMAT, type CorpusEntry, type CrashRecord } from './entry.js';

export interface LoadProblem {
  file: string;
  reason: string;
}

const ID = /^[0-9a-f]{64}$/;

/** Checks a parsed corpus file; returns why it is unusable, or undefined. */
export function corpusEntryProblem(value: unknown, fileName?: string): string | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const e = value as Partial<CorpusEntry>;
  if (e.format !== ENTRY_FORMAT) return `format is '${String(e.format)}', expected '${ENTRY_FORMAT}'`;
  if (typeof e.id !== 'string' || !ID.test(e.id)) return 'id is not a sha256 hex digest';
  if (fileName !== undefined && fileName !== `${e.id}.json`) return `file name does not match id ${e.id.slice(0, 12)}…`;
  if (typeof e.strategy !== 'string' || e.strategy === '') return 'strategy missing';
  if (!('input' in e)) return 'input missing';
  if (!Array.isArray(e.found) || !e.found.every((f) => typeof f === 'string')) return 'found is not a list of features';
  if (e.parent !== null && typeof e.parent !== 'string') return 'parent must be an id or null';
  if (!e.origin || typeof e.origin !== 'object' || typeof e.origin.exec !== 'number') return 'origin missing';
  if (typeof e.signature !== 'string') return 'signature missing';
  return undefined;
}

/**
 * The corpus directory: one content-addressed JSON file per entry (`<id>.json`),
 * crashes and hangs in `crashes/`. Files are written atomically; a corrupt file is
 * reported and skipped, never deleted (it may be the only copy of a finding).
 */
export class CorpusDir {
  private release: (() => Promise<void>) | undefined;

  constructor(readonly dir: string) {}

  get crashDir(): string {
    return path.join(this.dir, 'crashes');
  }

  /** Takes the directory for this process: two fuzzers writing one corpus would race. */
  async open(): Promise<void> {
    await mkdir(this.crashDir, { recursive: true });
    try {
      this.release = await lockfile.lock(this.dir, { stale: 30_000, update: 5_000, realpath: false });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ELOCKED') {
        throw environmentError(`corpus ${this.dir} is in use by another seccomplete process`, 'wait for it, or use another --corpus');
      }
      throw err;
    }
  }

  async close(): Promise<void> {
    const release = this.release;
    this.release = undefined;
    if (release) await release().catch(() => {});
  }

  /** Entries sorted by the order they were found in; problems for files that were skipped. */
  async load(): Promise<{ entries: CorpusEntry[]; problems: LoadProblem[] }> {
    return loadCorpus(this.dir);
  }

  async save(entry: CorpusEntry): Promise<void> {
    await writeJsonAtomically(path.join(this.dir, `${entry.id}.json`), entry);
  }

  async saveCrash(record: CrashRecord): Promise<string> {
    const file = path.join(this.crashDir, `${record.kind}-${record.id.slice(0, 16)}.json`);
    await writeJsonAtomically(file, record);
    return file;
  }
}

/** Reads a corpus directory without locking it (replay, verify). */
export async function loadCorpus(dir: string): Promise<{ entries: CorpusEntry[]; problems: LoadProblem[] }> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw dataError(`corpus directory '${dir}' does not exist`);
    if (code === 'ENOTDIR') throw dataError(`corpus '${dir}' is not a directory`);
    throw err;
  }
  const entries: CorpusEntry[] = [];
  const problems: LoadProblem[] = [];
  for (const name of names.sort()) {
    if (!name.endsWith('.json')) continue;
    const file = path.join(dir, name);
    let value: unknown;
    try {
      value = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      // JSON.parse quotes the file's text, newlines included: keep each warning one line.
      const message = (err as Error).message.replace(/\s+/g, ' ').trim();
      problems.push({ file, reason: err instanceof SyntaxError ? `invalid JSON: ${message}` : message });
      continue;
    }
    const problem = corpusEntryProblem(value, name);
    if (problem) problems.push({ file, reason: problem });
    else entries.push(value as CorpusEntry);
  }
  entries.sort((a, b) => a.origin.elapsedMs - b.origin.elapsedMs || a.origin.exec - b.origin.exec || a.id.localeCompare(b.id));
  return { entries, problems };
}

export function isCrashRecord(value: unknown): value is CrashRecord {
  return !!value && typeof value === 'object' && (value as CrashRecord).format === CRASH_FORMAT;
}
