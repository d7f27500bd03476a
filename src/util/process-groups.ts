/**
 * Every process group seccomplete starts (a server instance, a command run, a sandbox
 * holder) is tracked here from spawn to end, so that an exit for any reason (an uncaught
 * exception included) ends exactly those groups: by group id, never by name.
 */
const live = new Set<number>();

/**
 * execa options for a process that leads a group of its own: `detached` makes the group
 * (so a timeout or an exit ends everything it started, by group id), output is streamed
 * rather than buffered, an exit code is an answer rather than an error, and execa's own
 * clean-up stays off because the group is ours to end (trackGroup, signalGroup).
 */
export const GROUP_LEADER = { detached: true, buffer: false, reject: false, cleanup: false } as const;
let hooked = false;

/** Records a group started with `detached: true` (its id is the leader's pid). */
export function trackGroup(pgid: number | undefined): void {
  if (pgid === undefined) return;
  live.add(pgid);
  if (!hooked) {
    hooked = true;
    process.on('exit', killTrackedGroups);
  }
}

/** Sends `signal` to the whole group and, for SIGKILL, forgets it. False when it was already gone. */
export function signalGroup(pgid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): boolean {
  if (pgid === undefined) return false;
  if (signal === 'SIGKILL') live.delete(pgid);
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // the group is empty
  }
}

/** Forgets a group whose processes all ended. */
export function untrackGroup(pgid: number | undefined): void {
  if (pgid !== undefined) live.delete(pgid);
}

/** The groups still tracked (tests check that none is left). */
export function trackedGroups(): number[] {
  return [...live];
}

/** Synchronous: the only kind of work an 'exit' listener may do. */
export function killTrackedGroups(): void {
  for (const pgid of [...live]) signalGroup(pgid, 'SIGKILL');
}
