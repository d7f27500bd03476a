import path from 'node:path';
import type { Summary } from '../cli/campaign-command.js';
import { writeFileAtomically } from '../util/atomic.js';
import { renderReport } from './html.js';
import { loadRun } from './load-run.js';

/** Writes `<outDir>/report.html` (atomically) from the files of a fuzz or replay run; returns its path. */
export async function writeRunReport(outDir: string, o: { summary?: Summary; output?: string } = {}): Promise<string> {
  const data = await loadRun(outDir, o.summary ? { summary: o.summary } : {});
  const file = path.resolve(o.output ?? path.join(outDir, 'report.html'));
  await writeFileAtomically(file, renderReport(data));
  return file;
}
