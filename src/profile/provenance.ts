import path from 'node:path';
import { loadCorpus } from '../corpus/corpus.js';
import { LIFECYCLE, type CorpusEntry } from '../corpus/entry.js';
import type { CoverageFile } from '../engine/campaign.js';
import { neededSyscall } from '../coverage/features.js';
import { writeJsonAtomically } from '../util/atomic.js';
import type { ProfilePlan } from './plan.js';

/**
 * Where each syscall of a profile comes from: the corpus entry whose execution made it
 * first (coverage.json's `firstEntry`), or the container runtime, or the plan's errno rule.
 *
 * Kept in a sidecar, `provenance.json` next to `profile.json`, rather than in the profile's
 * rule comments: Docker's `comment` belongs to a rule, so one comment per origin would mean
 * one rule per origin entry (dozens of one-name rules instead of one allow-list), and the
 * profile's bytes would change whenever the corpus does, though what it allows did not.
 */

export const PROVENANCE_FORMAT = 'seccomplete-provenance/1';

/** How the first execution that needed a syscall came about. */
export type OriginKind = 'input' | 'startup' | 'shutdown' | 'lifecycle' | 'unknown';

export interface FirstUse {
  /** the feature of the syscall seen first (`socket:AF_UNIX:SOCK_STREAM` or the bare name) */
  feature: string;
  kind: OriginKind;
  /** corpus entry id; null when coverage.json never recorded one */
  entry: string | null;
  strategy: string;
  /** the entry's one-line description; null when the entry is not in the corpus (minimised away, deleted) */
  describe: string | null;
  /** index of the execution in the campaign */
  exec: number;
  epoch: number | null;
  /** milliseconds into the campaign */
  atMs: number;
}

export interface SyscallOrigin extends FirstUse {
  syscall: string;
  /** seen only in executions with injected faults: an error path needs it */
  errorPathOnly: boolean;
  /** argument classes (`AF_INET:SOCK_STREAM`, `TCGETS`) with what found each first */
  classes: Record<string, FirstUse>;
}

/** The first use of every syscall the coverage holds, by name. */
export function syscallOrigins(coverage: CoverageFile, entries: ReadonlyMap<string, CorpusEntry>): Map<string, SyscallOrigin> {
  const bySyscall = new Map<string, string[]>();
  for (const feature of Object.keys(coverage.features)) {
    const name = neededSyscall(feature); // fault causes and secondary features name no need
    if (name === undefined) continue;
    bySyscall.set(name, [...(bySyscall.get(name) ?? []), feature]);
  }
  const origins = new Map<string, SyscallOrigin>();
  for (const [name, features] of bySyscall) {
    const uses = features.map((feature) => firstUse(coverage, feature, entries));
    uses.sort((a, b) => a.exec - b.exec || a.atMs - b.atMs || a.feature.localeCompare(b.feature));
    const first = uses[0];
    if (!first) continue;
    const classes: Record<string, FirstUse> = {};
    for (const use of uses.filter((u) => u.feature !== name).sort((a, b) => a.feature.localeCompare(b.feature))) {
      classes[use.feature.slice(name.length + 1)] = use;
    }
    const errorPathOnly = features.every((f) => (coverage.features[f]?.count ?? 0) === 0);
    origins.set(name, { syscall: name, ...first, errorPathOnly, classes });
  }
  return origins;
}

function firstUse(coverage: CoverageFile, feature: string, entries: ReadonlyMap<string, CorpusEntry>): FirstUse {
  const record = coverage.features[feature]!;
  const entry = record.firstEntry ? entries.get(record.firstEntry) : undefined;
  let kind: OriginKind = record.firstEntry === undefined ? 'unknown' : 'input';
  if (record.strategy === LIFECYCLE || entry?.strategy === LIFECYCLE) {
    const event = (entry?.input as { event?: unknown } | undefined)?.event;
    kind = event === 'startup' || event === 'shutdown' ? event : 'lifecycle';
  }
  return {
    feature,
    kind,
    entry: record.firstEntry ?? null,
    strategy: entry?.strategy ?? record.strategy,
    describe: entry?.describe ?? null,
    exec: record.firstExec,
    epoch: entry?.origin.epoch ?? null,
    atMs: record.firstAtMs,
  };
}

export interface ProvenanceFile {
  format: typeof PROVENANCE_FORMAT;
  /** the profile this file explains, relative to this file */
  profile: string;
  command: string[];
  syscalls: Record<string, ProvenanceRecord>;
}

export interface TargetProvenance {
  rule: 'allow';
  origin: 'target';
  /** `--arg-rules` put argument conditions on it */
  conditioned?: true;
  kind: OriginKind;
  /** the corpus entry that needed it first */
  entry: string | null;
  strategy: string;
  describe: string | null;
  exec: number;
  epoch: number | null;
  /** only an error path (seen under an injected fault) needs it */
  errorPathOnly?: true;
  /** argument class -> the entry that found it first */
  classes?: Record<string, string | null>;
}

export type ProvenanceRecord =
  | TargetProvenance
  | { rule: 'allow'; origin: 'runtime'; runtime: string }
  | { rule: 'errno'; errno: number; why: string; reason: string; seen: boolean };

/** The sidecar's content: one record per syscall the profile names, sorted by name. */
export function buildProvenance(plan: ProfilePlan, coverage: CoverageFile, entries: ReadonlyMap<string, CorpusEntry>, profileFile: string): ProvenanceFile {
  const origins = syscallOrigins(coverage, entries);
  const records = new Map<string, ProvenanceRecord>();
  for (const allowed of plan.allow) {
    const origin = origins.get(allowed.name);
    if (allowed.origin === 'target' && origin) {
      const record: TargetProvenance = {
        rule: 'allow',
        origin: 'target',
        ...(allowed.argRule ? { conditioned: true as const } : {}),
        kind: origin.kind,
        entry: origin.entry,
        strategy: origin.strategy,
        describe: origin.describe,
        exec: origin.exec,
        epoch: origin.epoch,
      };
      if (origin.errorPathOnly) record.errorPathOnly = true;
      const classes = Object.entries(origin.classes);
      if (classes.length > 0) record.classes = Object.fromEntries(classes.map(([cls, use]) => [cls, use.entry]));
      records.set(allowed.name, record);
    } else {
      records.set(allowed.name, { rule: 'allow', origin: 'runtime', runtime: plan.runtime ? `${plan.runtime.name} ${plan.runtime.version}` : 'unknown' });
    }
  }
  for (const rule of plan.errno) {
    records.set(rule.name, { rule: 'errno', errno: rule.errno, why: rule.why, reason: rule.reason, seen: origins.has(rule.name) });
  }
  const syscalls: Record<string, ProvenanceRecord> = {};
  for (const name of [...records.keys()].sort()) syscalls[name] = records.get(name)!;
  return { format: PROVENANCE_FORMAT, profile: profileFile, command: coverage.command, syscalls };
}

/** Corpus entries by id; an unreadable corpus gives none (provenance then names ids only). */
export async function loadEntriesById(corpusDir: string | undefined): Promise<Map<string, CorpusEntry>> {
  const byId = new Map<string, CorpusEntry>();
  if (!corpusDir) return byId;
  try {
    const { entries } = await loadCorpus(corpusDir);
    for (const entry of entries) byId.set(entry.id, entry);
  } catch {
    // no corpus: the ids from coverage.json still say which entry it was
  }
  return byId;
}

/** The sidecar of a profile: `provenance.json` next to `profile.json`, `<name>.provenance.json` next to any other name. */
export function provenanceFileFor(profileFile: string): string {
  const resolved = path.resolve(profileFile);
  const base = path.basename(resolved);
  const name = base === 'profile.json' ? 'provenance.json' : `${base.replace(/\.json$/i, '')}.provenance.json`;
  return path.join(path.dirname(resolved), name);
}

/** Writes the provenance sidecar next to the profile; returns its path. */
export async function writeProvenanceSidecar(profileFile: string, plan: ProfilePlan, coverage: CoverageFile, corpusDir: string | undefined): Promise<string> {
  const file = provenanceFileFor(profileFile);
  const entries = await loadEntriesById(corpusDir);
  await writeJsonAtomically(file, buildProvenance(plan, coverage, entries, path.basename(profileFile)));
  return file;
}
