import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { CommandTarget } from '../../src/command/runner.js';
import type { Invocation } from '../../src/command/invocation.js';
import { trackedGroups } from '../../src/util/process-groups.js';
import { assertBuilt, markedProcesses, MARK_VAR, newMark, ROOT, waitForNoMarkedProcesses } from '../helpers/cli.js';

/**
 * Fuzzed arguments name real paths: `gzip -f -S x /dev/null` once deleted this machine's
 * /dev/null during a test run. Command runs happen in a mount namespace where only the
 * job's directory is writable; these tests attack a file outside it.
 */
const runDir = mkdtempSync(join(tmpdir(), 'sctest-sandbox-'));
const outside = mkdtempSync(join(tmpdir(), 'sctest-outside-'));
afterAll(() => {
  rmSync(runDir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

let slot = 0;
function target(command: string[], sandbox: boolean, env: Record<string, string> = {}) {
  return new CommandTarget({ kind: 'command', command, env, sampleDirs: [], sandbox }, { runDir, slot: slot++, stracePath: 'strace', arch: 'x86_64' });
}
const args = (list: string[]): Invocation => ({ args: list, stdin: { from: 'null' }, env: {}, files: [] });
const signal = () => new AbortController().signal;
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('command sandbox', () => {
  it('a fuzzed argument cannot delete or overwrite a file outside the run (and without the sandbox it does)', async () => {
    const victim = join(outside, 'victim.txt');
    writeFileSync(victim, 'precious\n');
    const confined = target(['gzip'], true);
    confined.mode = { kind: 'coverage', exclude: [] };
    const r = await confined.run(args(['-f', '-S', 'x', victim]), signal());
    confined.close();
    expect(r.code).not.toBe(0);
    expect(r.stderrHead).toMatch(/Read-only file system/);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(existsSync(`${victim}x`)).toBe(false);

    // the control: the same run on the real file system does what gzip does
    const free = target(['gzip'], false);
    const r2 = await free.run(args(['-f', '-S', 'x', victim]), signal());
    expect(r2.code).toBe(0);
    expect(existsSync(victim)).toBe(false);
    expect(existsSync(`${victim}x`)).toBe(true);
  });

  it("leaves the run's directory, its TMPDIR and devices writable", async () => {
    const t = target(['sh', '-c', 'echo a > here && echo b > "$TMPDIR/t" && echo c > /dev/null && cat here "$TMPDIR/t"'], true);
    t.mode = { kind: 'coverage', exclude: [] };
    const r = await t.run(args([]), signal());
    t.close();
    expect(r.stderrHead).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdoutBytes).toBe(4);
  });

  it('close() ends the namespace holder; a later run makes a new one', async () => {
    const before = new Set(trackedGroups());
    const t = target(['true'], true);
    expect((await t.run(args([]), signal())).code).toBe(0);
    const holders = trackedGroups().filter((g) => !before.has(g));
    expect(holders).toHaveLength(1);
    t.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(holders.filter(alive)).toEqual([]);
    expect(trackedGroups().filter((g) => !before.has(g))).toEqual([]);
    expect((await t.run(args([]), signal())).code).toBe(0);
    t.close();
  });

  it('a crash of seccomplete mid-run leaves no process behind (exit hook)', async () => {
    assertBuilt();
    const mark = newMark();
    const child = await execa(process.execPath, [join(ROOT, 'test', 'fixtures', 'crash-during-command.mjs'), join(ROOT, 'dist'), mkdtempSync(join(runDir, 'crash-')), MARK_VAR, mark], {
      reject: false,
      timeout: 30_000,
    });
    expect(child.stdout).toContain('running'); // the run had started when it crashed
    expect(child.exitCode).toBe(1);
    expect(child.stderr).toContain('a bug in seccomplete');
    expect(await waitForNoMarkedProcesses(mark)).toEqual([]);
    expect(markedProcesses(mark)).toEqual([]);
  });
});
