import path from 'node:path';
import { FORMAT_NAMES, formatContext, parseArchList, parseFormatList, writeFormats, type FormatName } from '../profile/formats.js';
import type { ProfilePlan } from '../profile/plan.js';
import { ARCHES, type Arch } from '../syscalls/table.js';

/** `--format` and `--arch`, shared by fuzz, replay and profile. */
export interface FormatCliOptions {
  format: string;
  arch: string;
}

export const FORMAT_OPTION_HELP = `profile formats to write, comma-separated: ${FORMAT_NAMES.join(', ')} (profile.json, the Docker one, is always written)`;
export const ARCH_OPTION_HELP = `architectures the profile is for, comma-separated: ${ARCHES.join(', ')} (the target is traced on x86_64; another architecture gets the counterparts of its calls, e.g. openat for open)`;

export function formatOptionsFrom(o: FormatCliOptions): { formats: FormatName[]; architectures: Arch[] } {
  return { formats: parseFormatList(o.format), architectures: parseArchList(o.arch) };
}

/**
 * Writes the formats other than docker (whose profile.json the caller wrote already, at
 * `dockerFile`) into `outDir`; returns every file of every format, by format.
 */
export async function writeProfileFormats(
  plan: ProfilePlan,
  formats: readonly FormatName[],
  command: readonly string[],
  outDir: string,
  dockerFile: string,
): Promise<Record<string, string[]>> {
  const others = formats.filter((format) => format !== 'docker');
  const written = await writeFormats(others, formatContext(plan, command), outDir);
  return { docker: [path.resolve(dockerFile)], ...written };
}

/** The files beyond profile.json, for a summary line; empty when there are none. */
export function otherFilesLine(files: Record<string, string[]>): string {
  const others = Object.entries(files)
    .filter(([format]) => format !== 'docker')
    .flatMap(([, paths]) => paths);
  return others.length > 0 ? `also wrote: ${others.join(', ')}` : '';
}
