import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CommandTarget } from '../../src/command/runner.js';
import type { Invocation } from '../../src/command/invocation.js';
import type { TraceEvent } from '../../src/trace/events.js';
import { markedProcesses, MARK_VAR, newMark, ROOT } from '../helpers/cli.js';

/** The command runner with the real strace: one process group per run, ended whole. */
const runDir = mkdtempSync(join(tmpdir(), 'sctest-runner-'));
afterAll(() => rmSync(runDir, { recursive: true, force: true }));

let slot = 0;
function target(command: string[], env: Record<string, string> = {}) {
  return new CommandTarget({ kind: 'command', command, env, sampleDirs: [join(ROOT, 'corpus', 'files')], sandbox: true }, { runDir, slot: slot++, stracePath: 'strace', arch: 'x86_64' });
}
const none = (args: string[], extra: Partial<Invocation> = {}): Invocation => ({ args, stdin: { from: 'null' }, env: {}, files: [], ...extra });
const signal = () => new AbortController().signal;

describe('command runner', () => {
  it('runs the program under strace in a fresh directory and reports its syscalls, exit and output', async () => {
    const t = target(['sh', '-c', 'cat in.txt; ls; exit 3']);
    t.mode = { kind: 'coverage', exclude: [] };
    const names = new Set<string>();
    t.onEvent = (ev: TraceEvent) => {
      if (ev.kind === 'syscall') names.add(ev.name);
    };
    const r = await t.run(none([], { files: [{ type: 'file', name: 'in.txt', content: { kind: 'text', seed: 1, size: 100 } }] }), signal());
    expect(r.code).toBe(3);
    expect(r.stdoutBytes).toBeGreaterThan(100);
    for (const s of ['execve', 'openat', 'read', 'write', 'getdents64']) expect(names, s).toContain(s);
    // the next run starts from an empty directory
    const again = await t.run(none([]), signal());
    expect(again.stderrHead).toMatch(/in\.txt/);
  });

  it('ends the whole process group on timeout: nothing the program started is left', async () => {
    const mark = newMark();
    const t = target(['sh', '-c', 'sleep 60 & sleep 60'], { [MARK_VAR]: mark });
    t.mode = { kind: 'coverage', exclude: [] };
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 300);
    const r = await t.run(none([]), abort.signal);
    expect(r.timedOut).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(markedProcesses(mark)).toEqual([]);
  });

  it('feeds FIFOs and stdin-from-FIFO without blocking, also when the program never reads them', async () => {
    const t = target(['sh', '-c', 'exit 0']);
    const fifo = { type: 'fifo' as const, name: 'pipe', content: { kind: 'text' as const, seed: 2, size: 1000 } };
    for (let i = 0; i < 12; i++) {
      const r = await t.run(none([], { files: [fifo], stdin: { from: 'file', name: 'pipe' } }), signal());
      expect(r.code).toBe(0);
    }
    const reader = target(['cat', 'pipe']);
    const r = await reader.run(none([], { files: [fifo] }), signal());
    expect(r.stdoutBytes).toBe(1000);
  }, 60_000);

  it('gives stdin from a file the program deletes first (gzip f1.txt < f1.txt)', async () => {
    const t = target(['sh', '-c', 'rm in.txt; wc -c']);
    const files = [{ type: 'file' as const, name: 'in.txt', content: { kind: 'text' as const, seed: 5, size: 100 } }];
    for (let i = 0; i < 5; i++) {
      const r = await t.run(none([], { files, stdin: { from: 'file', name: 'in.txt' } }), signal());
      expect(r.code).toBe(0);
      expect(r.stdoutBytes).toBe(4); // "100\n"
    }
  });

  it('finds the program even when the input empties PATH', async () => {
    const t = target(['true']);
    t.mode = { kind: 'coverage', exclude: [] };
    const r = await t.run(none([], { env: { PATH: '' } }), signal());
    expect(r.code).toBe(0);
  });

  it('reports a fatal signal by name', async () => {
    const script = join(runDir, 'abort.sh');
    writeFileSync(script, '#!/bin/sh\nkill -SEGV $$\n');
    chmodSync(script, 0o755);
    const t = target([script]);
    t.mode = { kind: 'coverage', exclude: [] };
    const r = await t.run(none([]), signal());
    expect(r.signal).toBe('SIGSEGV');
  });

  it('gives the same digests to the same run, and other digests to other output', async () => {
    const t = target(['gzip', '-k', 'f1.txt']);
    const files = [{ type: 'file' as const, name: 'f1.txt', content: { kind: 'text' as const, seed: 3, size: 5000 } }];
    const a = await t.run(none([], { files }), signal());
    const b = await t.run(none([], { files }), signal());
    expect(b.filesDigest).toBe(a.filesDigest); // gzip records the input's mtime: fixed
    const c = await t.run(none([], { files: [{ ...files[0]!, content: { ...files[0]!.content, seed: 4 } }] }), signal());
    expect(c.filesDigest).not.toBe(a.filesDigest);
  });
});
