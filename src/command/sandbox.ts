import { execa, type ResultPromise } from 'execa';
import { environmentError } from '../errors.js';
import { assertCommandExists } from '../target/command.js';
import { GROUP_LEADER, signalGroup, trackGroup } from '../util/process-groups.js';

/**
 * Fuzzed arguments reach any path the program accepts: `gzip -f -S x /dev/null` deletes
 * /dev/null, `tar -x -P` writes anywhere. Each job's runs therefore happen in a private
 * mount namespace where every mount is read-only except the job's own directories. The
 * namespace is made once per job by a holder process (unshare + mount, before any
 * tracing, so none of it is in a trace); each run enters it with nsenter, one exec.
 *
 * Devices stay usable (a read-only mount still lets a program write to /dev/null), and
 * writes anywhere else fail with EROFS, as on a container's read-only root file system.
 */
export class FsSandbox {
  private constructor(
    private readonly holder: ResultPromise,
    private readonly nsenter: string,
    private readonly userNamespace: boolean,
  ) {}

  /** Makes the namespace; `writable` are absolute directories that exist. */
  static async open(writable: readonly string[]): Promise<FsSandbox> {
    const tools = sandboxTools();
    const userNamespace = process.geteuid?.() !== 0;
    // Without root, a user namespace in which we are root may mount; the program then sees uid 0.
    const unshareArgs = [...(userNamespace ? ['--map-root-user'] : []), '--mount', '--propagation', 'private'];
    const holder = execa(tools.unshare, [...unshareArgs, '--', '/bin/sh', '-c', SETUP_SCRIPT, 'seccomplete-sandbox', ...writable], {
      ...GROUP_LEADER,
      stdin: 'pipe', // the holder lives until this pipe closes: also when seccomplete dies
      stdout: 'pipe',
      stderr: 'pipe',
      encoding: 'utf8',
    });
    trackGroup(holder.pid);
    let stderr = '';
    holder.stderr?.on('data', (d: Buffer) => {
      stderr += String(d);
    });
    const ready = await new Promise<boolean>((resolve) => {
      holder.stdout?.on('data', (d: Buffer) => {
        if (String(d).includes('ready')) resolve(true);
      });
      void holder.then(() => resolve(false));
    });
    if (!ready) {
      await holder;
      signalGroup(holder.pid);
      const line = stderr.split('\n').find((l) => l.trim() !== '') ?? 'unshare failed';
      throw environmentError(
        `cannot isolate command runs in a read-only mount namespace: ${line.trim()}`,
        'needs root or unprivileged user namespaces; --no-sandbox runs commands on the real file system (fuzzed arguments can then delete or overwrite any file you can write)',
      );
    }
    return new FsSandbox(holder, tools.nsenter, userNamespace);
  }

  get alive(): boolean {
    return this.holder.exitCode === null && this.holder.signalCode === null;
  }

  /** The argv that runs `file args` inside the namespace, in `cwd`. */
  wrap(file: string, args: readonly string[], cwd: string): { file: string; args: string[] } {
    const pid = String(this.holder.pid);
    // --preserve-credentials: joining our own user namespace needs no setgroups (it is denied there)
    const user = this.userNamespace ? ['--user', '--preserve-credentials'] : [];
    return { file: this.nsenter, args: ['--target', pid, '--mount', ...user, `--wd=${cwd}`, '--', file, ...args] };
  }

  close(): void {
    this.holder.stdin?.destroy();
    signalGroup(this.holder.pid);
  }
}

function sandboxTools(): { unshare: string; nsenter: string } {
  try {
    return { unshare: assertCommandExists('unshare'), nsenter: assertCommandExists('nsenter') };
  } catch {
    throw environmentError('unshare and nsenter (util-linux) are needed to isolate command runs', 'install util-linux, or pass --no-sandbox');
  }
}

/**
 * Runs in the new namespace: every mount read-only, keeping its other flags (in a user
 * namespace the kernel refuses a remount that drops nosuid/nodev/noexec or the atime
 * mode), then each writable directory bound onto itself read-write. mountinfo escapes
 * spaces and backslashes in octal, which printf %b reads back.
 */
const SETUP_SCRIPT = `
set -u
fail() { echo "$1" >&2; exit 1; }
while read -r _ _ _ _ mp opts _; do
  mp=$(printf '%b' "$mp")
  opts=\${opts#rw}; opts=\${opts#ro}; opts=\${opts#,}
  err=$(mount -o "remount,bind,ro\${opts:+,$opts}" "$mp" 2>&1) || fail "cannot make $mp read-only: $err"
done < /proc/self/mountinfo
for dir in "$@"; do
  err=$(mount --bind "$dir" "$dir" 2>&1 && mount -o remount,bind,rw "$dir" 2>&1) || fail "cannot make $dir writable: $err"
done
echo ready
read -r _ || true
`;
