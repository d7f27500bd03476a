import { readFileSync, readdirSync } from 'node:fs';

/**
 * Reads the live process tree of a target from /proc. Used to decide quiescence
 * (every thread asleep) and to find the tracee that strace started.
 */

/** Direct children of a process (all of its threads' children). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) for (const c of text.split(/\s+/)) out.push(Number(c));
    } catch {
      // the thread ended while we looked
    }
  }
  return out;
}

/** The scheduler state letter of every thread in the tree rooted at `root`. */
export function treeThreadStates(root: number): string[] {
  const states: string[] = [];
  const queue = [root];
  const seen = new Set<number>();
  while (queue.length > 0) {
    const pid = queue.pop() as number;
    if (seen.has(pid)) continue;
    seen.add(pid);
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'latin1');
        // comm may contain spaces and parentheses: the state follows the last ')'.
        const state = stat.charAt(stat.lastIndexOf(')') + 2);
        states.push(state);
        const children = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
        if (children) for (const c of children.split(/\s+/)) queue.push(Number(c));
      } catch {
        // gone meanwhile
      }
    }
  }
  return states;
}

/**
 * Asleep means waiting for something outside itself: S (interruptible sleep),
 * I (idle kernel wait), Z (zombie). R, D and t (stopped by the tracer, whose
 * output is still on its way) all mean work in progress.
 */
export function isTreeAsleep(root: number): boolean {
  const states = treeThreadStates(root);
  if (states.length === 0) return true;
  return states.every((s) => s === 'S' || s === 'I' || s === 'Z' || s === 'X');
}

/** State letter of a process's main thread, undefined when it no longer exists. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.charAt(stat.lastIndexOf(')') + 2);
  } catch {
    return undefined;
  }
}
