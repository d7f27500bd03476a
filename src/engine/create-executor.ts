import { CommandTarget } from '../command/runner.js';
import type { AnyStrategy } from '../strategy.js';
import type { Arch } from '../syscalls/table.js';
import { TargetInstance } from '../target/instance.js';
import type { TargetSpec } from '../target/spec.js';
import { CommandExecutor } from './command-executor.js';
import { Executor, type ExecutorOptions, type JobExecutor } from './executor.js';

export interface JobPlace {
  runDir: string;
  slot: number;
  stracePath: string;
  arch: Arch;
}

/** The executor for one job: a live server instance, or a command run once per input. */
export function createExecutor(spec: TargetSpec, place: JobPlace, strategies: ReadonlyMap<string, AnyStrategy>, options: ExecutorOptions): JobExecutor {
  if (spec.kind === 'command') return new CommandExecutor(place.slot, new CommandTarget(spec, place), strategies, options);
  return new Executor(place.slot, new TargetInstance(spec, place), strategies, options);
}
