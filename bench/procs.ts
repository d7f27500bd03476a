/**
 * Every process the bench starts is registered here and ended by pid or process
 * group, never by name: on success, on error, on Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { childPids } from '../src/target/process-tree.js';
import { sleep } from '../src/util/duration.js';

type Cleanup = () => Promise<void>;

const cleanups = new Set<Cleanup>();

/** Registers a cleanup; call the returned function once the thing is gone. */
export function onCleanup(fn: Cleanup): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** Runs every registered cleanup (in parallel) once. */
export async function cleanupAll(): Promise<void> {
  const all = [...cleanups];
  cleanups.clear();
  await Promise.all(all.map((fn) => fn().catch(() => {})));
}

/** Every process below `pid` (children, grandchildren...), read from /proc now. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  const seen = new Set<number>([pid]);
  while (queue.length > 0) {
    const p = queue.pop() as number;
    for (const c of childPids(p)) {
      if (seen.has(c)) continue;
      seen.add(c);
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/**
 * SIGKILL to a process, everything below it (snapshotted first, so that orphans
 * cannot escape by being re-parented) and the process groups those lead.
 */
export function killTree(pid: number): void {
  const below = descendants(pid);
  kill(-pid, 'SIGKILL');
  kill(pid, 'SIGKILL');
  for (const p of below) {
    kill(-p, 'SIGKILL');
    kill(p, 'SIGKILL');
  }
}

/** Parent pid of a process, from /proc/<pid>/stat. */
export function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU time (user + system, in clock ticks) a process has used, all its threads
 * included, dead ones too: fields 14 and 15 of /proc/<pid>/stat.
 */
export function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

/** How often a process blocked and was woken again (voluntary context switches of its main thread). */
export function voluntarySwitches(pid: number): number | undefined {
  try {
    const m = /^voluntary_ctxt_switches:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs: number;
  /**
   * How to end it early (timeout, Ctrl-C): 'interrupt' sends SIGINT twice (the
   * seccomp CLI then stops its targets itself) before the SIGKILL of the whole tree.
   */
  stop: 'kill' | 'interrupt';
}

/**
 * Runs a command in its own process group and collects its output. It is ended by
 * pid / process group on timeout and by {@link cleanupAll}.
 */
export function run(file: string, args: string[], o: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const child: ChildProcess = spawn(file, args, {
    cwd: o.cwd,
    env: o.env ?? process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    if (stderr.length > 64_000) stderr = stderr.slice(-32_000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (err) => {
      stderr += String(err);
      resolve({ code: 127, signal: null });
    });
  });
  let gone = false;
  void exited.then(() => (gone = true));
  const end = async () => {
    const pid = child.pid;
    if (pid === undefined || gone) return;
    if (o.stop === 'interrupt') {
      kill(pid, 'SIGINT');
      await Promise.race([exited, sleep(300)]);
      if (!gone) kill(pid, 'SIGINT');
      await Promise.race([exited, sleep(5000)]);
    }
    if (!gone) killTree(pid);
    await Promise.race([exited, sleep(2000)]);
  };
  const unregister = onCleanup(end);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void end();
  }, o.timeoutMs);
  return exited.then(({ code, signal }) => {
    clearTimeout(timer);
    unregister();
    if (timedOut) stderr += `\n(bench: killed after ${o.timeoutMs} ms)`;
    return { code, signal, stdout, stderr, wallMs: performance.now() - started };
  });
}
