import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, DEMO_COMMAND, MARK_VAR, ROOT, makeTempDir, markEnv, sleep, useMarks } from '../helpers/cli.js';

/**
 * The live status panel on a real terminal: the CLI runs inside a private tmux server
 * (what the screen shows is read back) and under util-linux `script` (what was written
 * to the pseudo-terminal). Not CI-critical: each is skipped when its tool is missing,
 * with the reason printed when neither is installed.
 */
const which = (name: string) => ['/usr/bin', '/bin', '/usr/local/bin'].map((d) => path.join(d, name)).find((f) => existsSync(f));
const TMUX = which('tmux');
const SCRIPT = which('script');
const missing = TMUX || SCRIPT ? undefined : 'neither tmux nor script (util-linux) is installed';
if (missing) console.warn(`skipping live panel test: ${missing}`);

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const PANEL_LINES = [/ seccomplete fuzz · node /, /┌─ progress ─+┬─ discovery ─+┐/, /│ executions  [\d,]+ /, /│ +epochs  \d+/, /last find  /, /├─ saturation \(Chao2\) ─+┼─ strategies ─+┤/, /Q1 \/ Q2  \d+ \/ \d+/, /http +[\d,]+ runs +[\d,]+ finds/, /└─+┴─+┘/];

describe('live status panel', () => {
  const mark = useMarks({ beforeAll, afterEach, afterAll });

  it.skipIf(!TMUX)('is drawn in place on a terminal (tmux), updated, and cleared at the end', async () => {
    const m = mark();
    const out = path.join(makeTempDir('panel'), 'out');
    const socket = `sctest-${randomUUID()}`;
    const tmux = (...args: string[]) => execa(TMUX!, ['-L', socket, '-f', '/dev/null', ...args], { reject: false });
    const command = [process.execPath, CLI, 'fuzz', '--time', '12s', '--out', out, ...markEnv(m), '--', ...DEMO_COMMAND].map(quote).join(' ');
    try {
      const started = await tmux('new-session', '-d', '-x', '110', '-y', '40', '-e', `${MARK_VAR}=${m}`, '-c', ROOT, `${command}; echo "EXIT=$?"; sleep 60`);
      expect(started.exitCode, started.stderr).toBe(0);
      const screen = async () => (await tmux('capture-pane', '-p')).stdout;
      const count = (text: string, re: RegExp) => text.split('\n').filter((l) => re.test(l)).length;

      // the panel appears, every line of it exactly once: redrawn in place, not scrolled
      let first = '';
      const deadline = performance.now() + 30_000;
      while (performance.now() < deadline) {
        first = await screen();
        if (PANEL_LINES.every((re) => re.test(first))) break;
        await sleep(200);
      }
      for (const re of PANEL_LINES) expect(count(first, re), `${re} in:\n${first}`).toBe(1);
      const execs = (text: string) => Number(/│ executions  ([\d,]+)/.exec(text)?.[1]?.replace(/,/g, ''));
      await sleep(2500);
      const later = await screen();
      expect(count(later, /┌─ progress/), later).toBe(1);
      expect(execs(later)).toBeGreaterThan(execs(first));

      // at the end: the panel is gone, the summary line is there
      let last = '';
      const end = performance.now() + 60_000;
      while (performance.now() < end) {
        last = await screen();
        if (/EXIT=\d+/.test(last)) break;
        await sleep(250);
      }
      expect(last).toContain('EXIT=0');
      expect(last).toMatch(/stopped \(time\) after/);
      expect(last).not.toContain('┌─ progress');
    } finally {
      await tmux('kill-server');
    }
  }, 120_000);

  it.skipIf(!SCRIPT)('is drawn on a pseudo-terminal (script) with cursor movement, not as a log', async () => {
    const m = mark();
    const out = path.join(makeTempDir('panel'), 'out');
    const command = [process.execPath, CLI, 'fuzz', '--time', '6s', '--out', out, ...markEnv(m), '--', ...DEMO_COMMAND].map(quote).join(' ');
    const run = await execa(SCRIPT!, ['-qfec', `stty cols 110 rows 40; ${command}`, '/dev/null'], {
      cwd: ROOT,
      reject: false,
      timeout: 60_000,
      env: { [MARK_VAR]: m },
    });
    expect(run.exitCode, run.stderr).toBe(0);
    for (const re of PANEL_LINES) expect(run.stdout, String(re)).toMatch(re);
    expect(run.stdout).toMatch(/\x1b\[\d*A|\x1b\[2K/);
  }, 90_000);
});
