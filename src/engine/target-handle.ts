import type { ExitStatus, Fault, TargetHandle } from '../strategy.js';
import type { TargetInstance } from '../target/instance.js';
import { childPids } from '../target/process-tree.js';
import type { TraceMode } from '../trace/strace.js';
import { sleep } from '../util/duration.js';

/** What one execution did to its target through the handle, for the executor's verdict. */
export interface HandleLog {
  /** the input announced that the target would exit (a terminating signal) */
  exitExpected: boolean;
  /** faults active in the epoch the input restarted into */
  faults: Fault[];
  restarts: number;
}

/**
 * The live target as lifecycle and fault strategies see it. Each execution gets its
 * own handle; it records what the input did so the executor can tell an expected
 * exit from a crash, and end a fault epoch after its execution.
 */
export function createTargetHandle(
  instance: TargetInstance,
  currentMode: () => TraceMode,
  setMode: (mode: TraceMode) => void,
): { handle: TargetHandle; log: HandleLog } {
  const log: HandleLog = { exitExpected: false, faults: [], restarts: 0 };
  const handle: TargetHandle = {
    get workdir() {
      return instance.workdir;
    },
    mainPid: () => instance.targetPid,
    children: () => (instance.targetPid === undefined ? [] : childPids(instance.targetPid).sort((a, b) => a - b)),
    signal(signal, to) {
      const pid = to === 'main' ? instance.targetPid : handle.children()[to.child];
      if (pid === undefined) return false;
      try {
        process.kill(pid, signal);
        return true;
      } catch {
        return false;
      }
    },
    expectExit() {
      log.exitExpected = true;
      instance.expectExit();
    },
    async waitExit(timeoutMs) {
      if (instance.state !== 'exited') await Promise.race([instance.whenExited(), sleep(timeoutMs)]);
      return instance.state === 'exited' ? (instance.exit as ExitStatus) : undefined;
    },
    rerenderTemplates: () => instance.rerenderTemplates(),
    async restart(options) {
      log.restarts += 1;
      const exit = await instance.stop();
      const base = currentMode();
      const faults = options.faults ?? [];
      // A fault epoch traces everything: what the fault caused must be comparable with
      // what ordinary executions do, including syscalls they made often enough to exclude.
      const mode: TraceMode =
        base.kind === 'none' ? base : base.kind === 'coverage' && faults.length > 0 ? { ...base, exclude: [], faults } : { ...base, faults };
      log.faults = [...faults];
      setMode(mode);
      await instance.start(mode, options.holdPortMs ? { holdPortMs: options.holdPortMs } : {});
      return exit as ExitStatus | undefined;
    },
  };
  return { handle, log };
}
