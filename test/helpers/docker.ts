import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, copyFile, access, constants } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

/**
 * Real-docker helpers for integration tests. Images are built offline: there is no registry.
 */

/** A busybox-only image, tagged so that it cannot clash with anyone's real images. */
export const BUSYBOX_TEST_IMAGE = 'seccomplete-test/busybox:1';
/** Debian's busybox-static: one static binary, so the image needs no libraries. */
export const HOST_BUSYBOX = '/bin/busybox';

export type Availability = { ok: true } | { ok: false; reason: string };

/** Whether a dockerd answers, and if not, why. */
export async function probeDocker(): Promise<Availability> {
  const result = await execa('docker', ['info', '--format', '{{.ServerVersion}}'], { reject: false, timeout: 20_000 });
  if (result.failed || result.exitCode !== 0) {
    const why = (result.stderr || result.message || '').trim().split('\n')[0];
    return { ok: false, reason: `dockerd is not reachable (docker info: ${why})` };
  }
  if (!existsSync(HOST_BUSYBOX)) return { ok: false, reason: `${HOST_BUSYBOX} is missing (install busybox-static)` };
  return { ok: true };
}

/** Whether this process can read the kernel's audit records and change the printk rate limit. */
export async function probeKernelLogAccess(): Promise<Availability> {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'runtime calibration needs root' };
  try {
    await access('/proc/sys/kernel/printk_ratelimit', constants.W_OK);
    await access('/dev/kmsg', constants.W_OK);
  } catch (error) {
    return { ok: false, reason: `kernel log not writable: ${(error as Error).message}` };
  }
  return { ok: true };
}

/** Import the busybox image from the host's busybox-static unless it exists already. */
export async function ensureBusyboxImage(tag = BUSYBOX_TEST_IMAGE): Promise<string> {
  const inspect = await execa('docker', ['image', 'inspect', tag], { reject: false });
  if (inspect.exitCode === 0) return tag;
  const rootfs = await mkdtemp(join(tmpdir(), 'seccomplete-busybox-rootfs-'));
  try {
    await mkdir(join(rootfs, 'bin'));
    await copyFile(HOST_BUSYBOX, join(rootfs, 'bin', 'busybox'));
    const { stdout } = await execa(HOST_BUSYBOX, ['--list']);
    for (const applet of stdout.split('\n').map((line) => line.trim())) {
      if (applet && applet !== 'busybox') await symlink('busybox', join(rootfs, 'bin', applet));
    }
    await execa('tar', ['-C', rootfs, '-c', '.']).pipe('docker', ['import', '--change', 'ENV PATH=/bin', '-', tag]);
  } finally {
    await rm(rootfs, { recursive: true, force: true });
  }
  return tag;
}

export interface DockerRunResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

/** `docker run --rm` under a seccomp profile file; never throws on a failing container. */
export async function runUnderProfile(image: string, profilePath: string, command: string[]): Promise<DockerRunResult> {
  const result = await execa(
    'docker',
    ['run', '--rm', '--pull=never', '--security-opt', `seccomp=${profilePath}`, image, ...command],
    { reject: false, timeout: 60_000 },
  );
  return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}
