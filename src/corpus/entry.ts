import { createHash } from 'node:crypto';
import type { Feature } from '../coverage/features.js';

export const ENTRY_FORMAT = 'seccomplete-corpus-entry/1';
export const CRASH_FORMAT = 'seccomplete-crash/1';

/** Lifecycle inputs are not sent to the target: they are things that happen to it. */
export type LifecycleEvent = 'startup' | 'shutdown';
export const LIFECYCLE = 'lifecycle';

/** One input as the scheduler hands it to the executor. */
export interface Input {
  strategy: string;
  data: unknown;
  /** corpus entry this one was mutated from */
  parent: string | null;
}

/** A corpus file: an input that found at least one feature first. */
export interface CorpusEntry {
  format: typeof ENTRY_FORMAT;
  /** sha256 of the strategy and the canonical JSON of the input: content-addressed */
  id: string;
  strategy: string;
  input: unknown;
  parent: string | null;
  /** features this entry found first in its run */
  found: Feature[];
  /** when and where it was found */
  origin: { exec: number; epoch: number; job: number; time: string; elapsedMs: number };
  /** how the target answered, for `verify` */
  signature: string;
  describe: string;
}

export interface CrashRecord {
  format: typeof CRASH_FORMAT;
  id: string;
  kind: 'crash' | 'hang';
  strategy: string;
  input: unknown;
  parent: string | null;
  exit?: { code?: number; signal?: string };
  outputTail: string;
  time: string;
  describe: string;
}

/** JSON with sorted keys: the same input always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

export function inputId(strategy: string, data: unknown): string {
  return createHash('sha256').update(strategy).update('\0').update(canonicalJson(data)).digest('hex');
}

export function isLifecycle(entry: { strategy: string }): boolean {
  return entry.strategy === LIFECYCLE;
}
