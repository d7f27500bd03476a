import { lstat, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * What happens to a target's files between two reloads in production, done to the
 * instance's private work directory: logrotate moves the logs away, a deployment
 * replaces the files the target serves. Bounded: a few levels deep, a few hundred entries.
 */

const MAX_DEPTH = 5;
const MAX_ENTRIES = 500;
const MAX_REPLACED = 50;
const MAX_REPLACE_BYTES = 1024 * 1024;

/** Regular files below `root`, relative, sorted; symbolic links are not followed. */
export async function listFiles(root: string): Promise<string[]> {
  const files: string[] = [];
  let seen = 0;
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(path.join(root, dir), { withFileTypes: true });
    } catch {
      return; // gone, or not ours to read
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (++seen > MAX_ENTRIES) return;
      const rel = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (entry.isFile()) files.push(rel);
      else if (entry.isDirectory() && depth < MAX_DEPTH) await walk(rel, depth + 1);
    }
  };
  await walk('', 0);
  return files;
}

/** As logrotate's default (`create` mode) does: every `*.log` becomes `*.log.1`; the target keeps writing to the moved file until told to reopen. */
export async function rotateLogs(workdir: string): Promise<number> {
  let moved = 0;
  for (const file of await listFiles(workdir)) {
    if (!file.endsWith('.log')) continue;
    try {
      await rename(path.join(workdir, file), path.join(workdir, `${file}.1`));
      moved += 1;
    } catch {
      // removed meanwhile
    }
  }
  return moved;
}

const NOT_CONTENT = [
  /\.log(\.\d+)?$/, // logs, rotated or not
  /\.(pid|oldbin|lock|sock|socket)$/i, // run-time state
  /\.(conf|cnf|cfg|ini|toml|ya?ml|env)$/i, // configuration: changed by `rerender`, not here
  /(^|\/)\./, // hidden files and directories
  /(^|\/)logs?\//i, // a log directory
  /(^|\/)[^/]*(temp|tmp|cache)[^/]*\//i, // temp and cache directories (nginx's client_body_temp...)
];

/** Files a target serves or reads as data: what is left after logs, pids, configuration and temp files. */
export function isContent(rel: string): boolean {
  return !NOT_CONTENT.some((re) => re.test(rel));
}

const MARK = '\nreplaced by seccomplete\n';

/**
 * Replaces each content file atomically (write a new file beside it, rename it over the
 * old one: a new inode, as a deployment does) with different content: a marker line
 * added, or taken away again the next time, so files do not grow.
 */
export async function replaceFiles(workdir: string): Promise<number> {
  let replaced = 0;
  for (const file of (await listFiles(workdir)).filter(isContent)) {
    if (replaced >= MAX_REPLACED) break;
    const full = path.join(workdir, file);
    try {
      const info = await lstat(full);
      if (!info.isFile() || info.size > MAX_REPLACE_BYTES) continue;
      const old = await readFile(full, 'latin1');
      const next = old.endsWith(MARK) ? old.slice(0, -MARK.length) : old + MARK;
      const tmp = path.join(path.dirname(full), `.${path.basename(full)}.seccomplete-new`);
      await writeFile(tmp, next, { encoding: 'latin1', mode: info.mode & 0o7777 });
      await rename(tmp, full);
      replaced += 1;
    } catch {
      // removed meanwhile, or not writable: leave it
    }
  }
  return replaced;
}
