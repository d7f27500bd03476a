import { allowedAnywhere, archAdditionLines, errnoAnywhere, errnoName } from './arch-view.js';
import { allowedByOrigin, type ProfilePlan } from './plan.js';

/**
 * systemd: a drop-in for the service that runs the target, with the plan as
 * SystemCallFilter= (systemd.exec(5)).
 *
 * - The first SystemCallFilter= is an allow-list (no `~`): every call not on it fails with
 *   SystemCallErrorNumber= (EPERM, the plan's default) instead of killing the service.
 * - A later `SystemCallFilter=~name:ENOSYS` line does not remove `name` from an allow-list:
 *   systemd keeps allow-list entries that carry an errno and loads them as
 *   SCMP_ACT_ERRNO(errno) (seccomp_parse_syscall_filter() in systemd's src/shared/seccomp-util.c:
 *   "The entries in allow-list with non-negative error value will be handled with
 *   SCMP_ACT_ERRNO() instead of the default action"). Without the errno, `~name` would only
 *   take it off the list (EPERM).
 * - systemd adds its @default group to every allow-list (execve, exit_group, brk, mmap...
 *   which it needs itself); an errno line for one of them still wins.
 * - SystemCallArchitectures=native: calls of another ABI (x86's int 0x80, x32, arm32 on arm64)
 *   fail, as the container profiles leave their sub-architectures out.
 */
export function renderSystemdDropIn(plan: ProfilePlan, command: readonly string[]): string {
  const allowed = allowedAnywhere(plan);
  const errno = errnoAnywhere(plan);
  const runtimeOnly = allowedByOrigin(plan, 'runtime');
  const header = [
    `seccomplete: systemd drop-in with the seccomp filter for: ${command.join(' ')}`,
    'install as /etc/systemd/system/UNIT.service.d/seccomp.conf, then: systemctl daemon-reload; systemctl restart UNIT',
    `architectures: ${plan.architectures.join(', ')} (SystemCallArchitectures=native: the host's own ABI only)`,
    ...archAdditionLines(plan),
    `${allowed.length} syscalls allowed; every other call fails with EPERM (SystemCallErrorNumber=)`,
    ...(runtimeOnly.length > 0 && plan.runtime
      ? [`of them needed only by the container runtime ${plan.runtime.name} ${plan.runtime.version}: ${runtimeOnly.join(' ')} (make the profile with --runtime none to leave them out)`]
      : []),
    "systemd adds its own @default group to an allow-list (see: systemd-analyze syscall-filter @default)",
    ...(errnoAnywhere(plan).length > 0
      ? [
          'the ~name:ERRNO line answers those calls with that errno (systemd keeps an allow-list entry that carries an errno);',
          'a systemd too old for that takes them off the list instead, and they fail with EPERM',
        ]
      : []),
    ...errnoReasons(plan),
  ];
  const lines = [
    ...header.map((line) => `# ${line}`),
    '[Service]',
    'SystemCallArchitectures=native',
    `SystemCallErrorNumber=${errnoName(plan.defaultErrno)}`,
    `SystemCallFilter=${allowed.join(' ')}`,
  ];
  if (errno.length > 0) lines.push(`SystemCallFilter=~${errno.map((rule) => `${rule.name}:${errnoName(rule.errno)}`).join(' ')}`);
  return lines.join('\n') + '\n';
}

/** One comment line per distinct reason of the errno rules. */
function errnoReasons(plan: ProfilePlan): string[] {
  const byReason = new Map<string, string[]>();
  for (const rule of errnoAnywhere(plan)) {
    const key = `${errnoName(rule.errno)}: ${rule.reason}`;
    byReason.set(key, [...(byReason.get(key) ?? []), rule.name]);
  }
  return [...byReason].map(([reason, names]) => `${names.join(' ')} -> ${reason}`);
}
