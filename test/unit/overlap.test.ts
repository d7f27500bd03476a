import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Campaign, type CampaignOptions } from '../../src/engine/campaign.js';
import { Executor } from '../../src/engine/executor.js';
import { loadCorpus } from '../../src/corpus/corpus.js';
import type { Strategy } from '../../src/strategy.js';
import type { TargetInstance } from '../../src/target/instance.js';
import type { TraceEvent } from '../../src/trace/events.js';
import { sleep } from '../../src/util/duration.js';

/** How long after its answer the scripted server makes the rare syscall (an access log written late). */
const LAG_MS = 6;

/**
 * A scripted server behind the real Executor: the trace events come from the strategy's
 * deliveries, exactly as strace lines would, including events that trail the answer.
 */
class ScriptedTarget {
  state: 'idle' | 'ready' | 'exited' = 'idle';
  onEvent: (ev: TraceEvent) => void = () => {};
  epoch = 0;
  crashed = false;
  exit = undefined;
  readonly endpoint = { host: '127.0.0.1', port: 1 };
  delivered = 0;
  inflight = 0;
  maxInflight = 0;
  /** which input number makes the rare syscall once the target is warm */
  rareOn: number | undefined = 7;
  /** the rare syscall only under load (another delivery in flight): no input makes it alone */
  rareOnlyUnderLoad = false;
  /** which input number crashes the target once it is warm */
  crashOn: number | undefined;
  /** deliveries done when two first ran at once */
  firstOverlapAt: number | undefined;
  /** how many inputs were in flight when the first warm 7 (or crashOn) was delivered */
  firstRareInflight: number | undefined;

  get endpoints() {
    return [this.endpoint];
  }
  async start(): Promise<void> {
    this.state = 'ready';
    this.crashed = false;
    this.epoch += 1;
    this.emit('read');
  }
  async stop(): Promise<undefined> {
    this.emit('read'); // nothing new: a restart must not pause the overlap
    this.state = 'idle';
    return undefined;
  }
  async waitQuiescent(): Promise<boolean> {
    await sleep(LAG_MS * 2); // what the real one learns from the tracer and /proc
    return true;
  }
  traceDrained(): Promise<void> {
    return Promise.resolve();
  }
  outputTail(): string {
    return '';
  }
  emit(name: string): void {
    if (this.state !== 'ready') return;
    this.onEvent({ kind: 'syscall', pid: 1, name, args: [], complete: true, ret: '0', injected: false });
  }
}

/**
 * Inputs are numbers. Every answer reads; once the server is warm (100 deliveries, so
 * only after inputs overlap), `rareOn` also makes `sendfile`, LAG_MS after answering
 * (in an overlapped stream that lands in another input's segment), and `crashOn` ends
 * the target (taking every delivery in flight down with it).
 */
function scriptedStrategy(target: ScriptedTarget): Strategy<number> {
  return {
    name: 'scripted',
    overlapping: true,
    arbitrary: () => fc.integer({ min: 0, max: 12 }),
    mutate: (n, rng) => (n + 1 + rng.int(5)) % 13,
    async deliver(n) {
      target.inflight += 1;
      const underLoad = target.inflight > 1;
      if (underLoad) target.firstOverlapAt ??= target.delivered;
      const warm = target.delivered > 100;
      if (warm && (n === target.rareOn || n === target.crashOn)) target.firstRareInflight ??= target.inflight;
      target.maxInflight = Math.max(target.maxInflight, target.inflight);
      await sleep(1 + (n % 4));
      target.inflight -= 1;
      target.delivered += 1;
      target.emit('read');
      if (warm && n === target.rareOn && (underLoad || !target.rareOnlyUnderLoad)) setTimeout(() => target.emit('sendfile'), LAG_MS);
      if (warm && n === target.crashOn) {
        target.state = 'exited';
        target.crashed = true;
      }
      return { signature: 'ok' };
    },
    validate: (raw) => raw as number,
    describe: (n) => `n=${n}`,
    seeds: () => [1, 2],
  };
}

describe('overlapped executions', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'seccomplete-overlap-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function campaign(target: ScriptedTarget, maxExecs: number, others: Strategy[] = []) {
    const warnings: string[] = [];
    const options: CampaignOptions = {
      target: { kind: 'server', command: ['scripted'], port: 'auto', ready: { kind: 'port' }, readyTimeoutMs: 1000, templates: [], env: {}, endpoints: [] },
      strategies: [scriptedStrategy(target) as Strategy, ...others],
      jobs: 1,
      seed: 3,
      outDir: dir,
      corpusDir: path.join(dir, 'corpus'),
      stop: { maxExecs },
      arch: 'x86_64',
      argFeatures: false,
      stracePath: 'strace',
      settleMs: 10,
      maxSettleMs: 1000,
      execTimeoutMs: 2000,
      inflight: 8,
      overlapAfter: 20,
      resume: false,
      warn: (m) => warnings.push(m),
      createExecutor: (_spec, place, strategies, executorOptions) => new Executor(place.slot, target as unknown as TargetInstance, strategies, executorOptions),
    };
    const result = await new Campaign(options).run();
    const { entries } = await loadCorpus(options.corpusDir);
    return { result, entries, warnings };
  }

  it('gives a syscall seen in an overlapped stream to the input that makes it alone', async () => {
    const target = new ScriptedTarget();
    const { result, entries } = await campaign(target, 600);
    expect(target.firstRareInflight).toBeGreaterThan(1);
    const owner = entries.find((e) => e.found.includes('sendfile'));
    expect(owner, JSON.stringify(entries.map((e) => [e.input, e.found]))).toBeDefined();
    expect(owner?.input).toBe(7);
    expect(result.coverage.features.sendfile?.firstEntry).toBe(owner?.id);
  });

  it('finds the input that crashes the target among those in flight', async () => {
    const target = new ScriptedTarget();
    target.rareOn = undefined;
    target.crashOn = 11;
    const { result } = await campaign(target, 400);
    expect(target.firstRareInflight).toBeGreaterThan(1);
    expect(result.crashFiles.length).toBeGreaterThan(0);
    const crashes = await loadCrashInputs(path.join(dir, 'corpus'));
    expect(crashes.every((n) => n === 11), JSON.stringify(crashes)).toBe(true);
  });

  it('keeps a syscall that only the load made, although no input makes it alone', async () => {
    const target = new ScriptedTarget();
    target.rareOnlyUnderLoad = true;
    const { result, entries } = await campaign(target, 600);
    expect(target.firstRareInflight).toBeGreaterThan(1);
    // a real call of the target: the profile needs it, credited to the input it was charged to
    expect(result.coverage.syscalls).toContain('sendfile');
    expect(entries.some((e) => e.found.includes('sendfile'))).toBe(true);
  });

  it('runs an input of a channel that cannot overlap alone, after the stream has drained', async () => {
    const target = new ScriptedTarget();
    const seen: { inflight: number; delivered: number }[] = [];
    // like signals: acts on the target, so nothing else may be in flight
    const alone: Strategy<number> = {
      name: 'alone',
      arbitrary: () => fc.constant(0),
      mutate: (n) => n,
      async deliver() {
        seen.push({ inflight: target.inflight, delivered: target.delivered });
        target.emit('read');
        return { signature: 'ok' };
      },
      validate: (raw) => raw as number,
      describe: () => 'alone',
      seeds: () => [0],
    };
    await campaign(target, 400, [alone as Strategy]);
    expect(target.firstOverlapAt).toBeDefined();
    const duringOverlapPhase = seen.filter((s) => s.delivered > (target.firstOverlapAt as number));
    expect(duringOverlapPhase.length).toBeGreaterThan(0);
    expect(seen.every((s) => s.inflight === 0), JSON.stringify(seen)).toBe(true);
  });
});

async function loadCrashInputs(corpusDir: string): Promise<unknown[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const crashDir = path.join(corpusDir, 'crashes');
  const files = await readdir(crashDir).catch(() => [] as string[]);
  const out: unknown[] = [];
  for (const f of files) if (f.endsWith('.json')) out.push((JSON.parse(await readFile(path.join(crashDir, f), 'utf8')) as { input: unknown }).input);
  return out;
}
