import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { expect } from 'vitest';

/** Debian's nginx with the example configuration (examples/nginx), as the nginx tests run it. */
export const ROOT = path.resolve(import.meta.dirname, '../..');
export const CLI = path.join(ROOT, 'bin/seccomplete.js');
export const EXAMPLE = path.join(ROOT, 'examples/nginx');
export const NGINX = '/usr/sbin/nginx';
export const NGINX_TARGET = [NGINX, '-p', '{workdir}', '-c', 'nginx.conf'];

export const inCI = Boolean(process.env.CI);
export const nginxMissing = existsSync(NGINX) ? undefined : `${NGINX} not found (install Debian's nginx: apt-get install nginx-light)`;

/** `--template` for every file of the example but its README: the config, the served files, the TLS pair, the logs directory. */
export function nginxTemplates(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(EXAMPLE, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else if (rel !== 'README.md') files.push(rel);
    }
  };
  walk('');
  return files.sort().flatMap((f) => ['--template', `${path.join(EXAMPLE, f)}=${f}`]);
}

export function cli(args: string[], timeout = 170_000) {
  return execa(process.execPath, [CLI, ...args], { cwd: ROOT, reject: false, timeout, env: { CI: process.env.CI ?? '' } });
}

export interface VerifyReport {
  inputs: number;
  denials: { syscall: string; errno: string; count: number; first: { phase: string; describe: string } }[];
  differences: { describe: string; unconfined: string; confined: string }[];
  unstable?: { describe: string }[];
  passed: boolean;
}

/** `seccomplete verify --json` with the given arguments before `--`; the report, parsed. */
export async function verifyJson(args: string[], target: string[] = NGINX_TARGET): Promise<{ exitCode: number | undefined; report: VerifyReport; stderr: string }> {
  const run = await cli(['verify', '--json', ...args, '--', ...target], 170_000);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  let report: VerifyReport;
  try {
    report = JSON.parse(run.stdout) as VerifyReport;
  } catch {
    throw new Error(`verify printed no JSON report (exit ${run.exitCode}): ${run.stderr}`);
  }
  return { exitCode: run.exitCode, report, stderr: run.stderr };
}
