import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import { usageError } from '../errors.js';
import { ARCHES, type Arch } from '../syscalls/table.js';
import { writeFileAtomically } from '../util/atomic.js';
import { allowedAnywhere, archAdditionLines, errnoAnywhere, errnoName } from './arch-view.js';
import { renderDockerProfile } from './docker.js';
import { profileNameFor, renderPodSnippet, renderSpoSeccompProfile } from './k8s.js';
import { renderOciSeccomp, toOciSeccomp, validateOciSeccomp } from './oci.js';
import { allowedByOrigin, type ProfilePlan } from './plan.js';
import { renderSystemdDropIn } from './systemd.js';

/**
 * Every output format of a profile. Each renders the same ProfilePlan and decides nothing:
 * adding a format is one entry here.
 */

export interface FormatContext {
  plan: ProfilePlan;
  /** the target command, for provenance comments */
  command: readonly string[];
  /** a name for the profile (Kubernetes object, kubelet file): profileNameFor(command) */
  name: string;
}

export interface RenderedFile {
  /** the file name inside --out */
  file: string;
  content: string;
}

export interface ProfileFormat {
  description: string;
  /** the files it writes, in the order render returns them */
  files: readonly string[];
  render(context: FormatContext): RenderedFile[];
}

export const FORMATS = {
  docker: {
    description: 'Docker/Podman seccomp profile (docker run --security-opt seccomp=profile.json)',
    files: ['profile.json'],
    render: ({ plan }) => [{ file: 'profile.json', content: renderDockerProfile(plan) }],
  },
  oci: {
    description: "OCI runtime-spec linux.seccomp object for a bundle's config.json (runc, crun)",
    files: ['profile.oci.json'],
    render: ({ plan }) => {
      const check = validateOciSeccomp(toOciSeccomp(plan));
      if (!check.valid) throw new Error(`the OCI rendering breaks the runtime-spec schema: ${check.errors.join('; ')}`);
      return [{ file: 'profile.oci.json', content: renderOciSeccomp(plan) }];
    },
  },
  k8s: {
    description: "Kubernetes: Security Profiles Operator SeccompProfile, the kubelet's localhost JSON and the Pod securityContext",
    files: ['seccompprofile.yaml', 'seccomp-localhost.json', 'pod-snippet.yaml'],
    render: ({ plan, command, name }) => [
      { file: 'seccompprofile.yaml', content: renderSpoSeccompProfile(plan, name, command) },
      { file: 'seccomp-localhost.json', content: renderDockerProfile(plan) },
      { file: 'pod-snippet.yaml', content: renderPodSnippet(name, 'seccomp-localhost.json') },
    ],
  },
  systemd: {
    description: 'systemd drop-in: SystemCallFilter=, SystemCallErrorNumber=, SystemCallArchitectures=',
    files: ['systemd.conf'],
    render: ({ plan, command }) => [{ file: 'systemd.conf', content: renderSystemdDropIn(plan, command) }],
  },
  list: {
    description: 'the allowed syscall names, sorted, one per line',
    files: ['syscalls.txt'],
    render: ({ plan, command }) => [{ file: 'syscalls.txt', content: renderSyscallList(plan, command) }],
  },
} as const satisfies Record<string, ProfileFormat>;

export type FormatName = keyof typeof FORMATS;
export const FORMAT_NAMES = Object.keys(FORMATS) as FormatName[];

const isFormatName = (name: string): name is FormatName => Object.hasOwn(FORMATS, name);

/** `--format docker,oci,...`: known names, deduplicated, in registry order. */
export function parseFormatList(text: string): FormatName[] {
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((name) => !isFormatName(name));
  if (unknown.length > 0) throw usageError(`--format: unknown format ${unknown.join(', ')} (known: ${FORMAT_NAMES.join(', ')})`);
  if (names.length === 0) throw usageError(`--format needs at least one of ${FORMAT_NAMES.join(', ')}`);
  return FORMAT_NAMES.filter((name) => names.includes(name));
}

/** `--arch x86_64,aarch64`: known architectures, deduplicated, in table order. */
export function parseArchList(text: string): Arch[] {
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((name) => !(ARCHES as readonly string[]).includes(name));
  if (unknown.length > 0) throw usageError(`--arch: unknown architecture ${unknown.join(', ')} (known: ${ARCHES.join(', ')})`);
  if (names.length === 0) throw usageError(`--arch needs at least one of ${ARCHES.join(', ')}`);
  return ARCHES.filter((arch) => names.includes(arch));
}

/** Every file of `format` rendered from the context (nothing written). */
export function renderFormat(format: FormatName, context: FormatContext): RenderedFile[] {
  return (FORMATS[format] as ProfileFormat).render(context);
}

/**
 * Renders every format first, then writes the files into `outDir` (each atomically).
 * `destinations` puts a file elsewhere, by its name (e.g. `profile.json` -> `-o FILE`).
 * Returns the absolute paths written, by format.
 */
export async function writeFormats(
  formats: readonly FormatName[],
  context: FormatContext,
  outDir: string,
  destinations: Readonly<Record<string, string>> = {},
): Promise<Partial<Record<FormatName, string[]>>> {
  const rendered = formats.map((format) => ({ format, files: renderFormat(format, context) }));
  await mkdir(path.resolve(outDir), { recursive: true });
  const written: Partial<Record<FormatName, string[]>> = {};
  for (const { format, files } of rendered) {
    const paths: string[] = [];
    for (const { file, content } of files) {
      const target = path.resolve(destinations[file] ?? path.join(outDir, file));
      await writeFileAtomically(target, content);
      paths.push(target);
    }
    written[format] = paths;
  }
  return written;
}

/** A context for `plan` from the target command. */
export function formatContext(plan: ProfilePlan, command: readonly string[]): FormatContext {
  return { plan, command, name: profileNameFor(command) };
}

/** The allowed names, sorted, one per line, after a comment header saying what they are. */
export function renderSyscallList(plan: ProfilePlan, command: readonly string[]): string {
  const allowed = allowedAnywhere(plan);
  const runtimeOnly = allowedByOrigin(plan, 'runtime');
  const errno = errnoAnywhere(plan);
  const header = [
    `seccomplete: the ${allowed.length} syscalls the profile allows, one per line`,
    `target: ${command.join(' ')}`,
    `architectures: ${plan.architectures.join(', ')}`,
    ...archAdditionLines(plan),
    ...(runtimeOnly.length > 0 && plan.runtime ? [`needed only by ${plan.runtime.name} ${plan.runtime.version}: ${runtimeOnly.join(' ')}`] : []),
    ...(errno.length > 0 ? [`not allowed, answered with an errno of their own: ${errno.map((r) => `${r.name} ${errnoName(r.errno)}`).join(', ')}`] : []),
    `everything else fails with ${errnoName(plan.defaultErrno)}`,
  ];
  return [...header.map((line) => `# ${line}`), ...allowed].join('\n') + '\n';
}
