import { describe, expect, it } from 'vitest';
import {
  buildReport,
  defined,
  formatTable,
  interleave,
  median,
  pairedRatio,
  record,
  RPS_VARIANTS,
  schedule,
  sig,
  spread,
  type ReportInput,
  type Samples,
} from '../../bench/stats.js';

describe('median and spread', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('ignores non-finite values and is NaN when nothing is left', () => {
    expect(median([1, Number.NaN, 3, Number.POSITIVE_INFINITY])).toBe(2);
    expect(median([])).toBeNaN();
  });

  it('does not reorder its input', () => {
    const xs = [3, 1, 2];
    median(xs);
    expect(xs).toEqual([3, 1, 2]);
  });

  it('reports min, max and the range relative to the median', () => {
    expect(spread([10, 8, 12])).toEqual({ median: 10, min: 8, max: 12, n: 3, relativeRange: 0.4 });
  });
});

describe('interleaving', () => {
  it('runs every alternative once per round and rotates the order', () => {
    const order = interleave(['A', 'B', 'C'], 3).map((s) => `${s.round}${s.item}`);
    expect(order).toEqual(['0A', '0B', '0C', '1B', '1C', '1A', '2C', '2A', '2B']);
  });

  it('merges groups round by round; a group with fewer rounds drops out', () => {
    const plan = schedule([
      { alternatives: ['A', 'B'], rounds: 2 },
      { alternatives: ['x', 'y'], rounds: 2 },
      { alternatives: ['S'], rounds: 1 },
    ]).map((s) => `${s.round}${s.item}`);
    expect(plan).toEqual(['0A', '0B', '0x', '0y', '0S', '1B', '1A', '1y', '1x']);
  });

  it('gives no items for zero rounds', () => {
    expect(interleave(['A'], 0)).toEqual([]);
    expect(schedule([])).toEqual([]);
  });
});

describe('paired ratios', () => {
  it('is the median of the per-round ratios, not the ratio of the medians', () => {
    // a noisy round (the second) slows both sides: pairing cancels it
    const untraced = [1000, 500, 1000];
    const traced = [100, 50, 110];
    const { ratio, perRound } = pairedRatio(untraced, traced);
    expect(perRound.map((r) => sig(r))).toEqual([10, 10, 9.09]);
    expect(ratio).toBe(10);
  });

  it('skips rounds where either side is missing or zero', () => {
    expect(pairedRatio([10, undefined, 30, 5], [5, 2, 10, 0]).perRound).toEqual([2, 3]);
    expect(pairedRatio([], []).ratio).toBeNaN();
  });
});

describe('samples', () => {
  it('records values by round and leaves holes for rounds that did not run', () => {
    const s: Samples = {};
    record(s, 'x', 2, 5);
    record(s, 'x', 0, 1);
    expect(s.x).toEqual([1, undefined, 5]);
    expect(defined(s.x ?? [])).toEqual([1, 5]);
  });

  it('rounds to significant digits', () => {
    expect(sig(1234.567, 3)).toBe(1230);
    expect(sig(0.012345, 2)).toBe(0.012);
    expect(sig(Number.NaN)).toBeNaN();
  });
});

describe('the report', () => {
  function input(): ReportInput {
    const samples: Samples = {};
    const rps: Record<string, number[]> = {
      untraced: [3000, 2000, 3000],
      full_strace: [100, 80, 150],
      filtered: [2900, 1900, 2800],
      filtered_tool_default: [2800, 1800, 2700],
      filtered_thread_probe: [3000, 2000, 2950],
    };
    for (const [variant, values] of Object.entries(rps)) {
      values.forEach((v, round) => {
        record(samples, `rps_${variant}`, round, v);
        record(samples, `events_${variant}`, round, variant === 'full_strace' ? 50 : 0);
        record(samples, `wakeups_${variant}`, round, variant === 'untraced' ? 0 : 1);
        record(samples, `cpu_ms_${variant}`, round, (variant === 'full_strace' ? 2 : variant === 'untraced' ? 0.4 : 0.5) * (round + 1));
      });
    }
    [50, 40].forEach((v, round) => record(samples, 'execs_per_sec_jobs1', round, v));
    [90, 84].forEach((v, round) => record(samples, 'execs_per_sec_jobs2', round, v));
    [100, 120].forEach((v, round) => record(samples, 'peak_rss_mb', round, v));
    record(samples, 'stable_seconds', 0, 24.5);
    record(samples, 'stable_execs', 0, 1200);
    return {
      samples,
      seenSyscalls: 68,
      seenSetExecs: 300,
      load: { requests: 3000, warmup: 500, connections: 8, paths: ['/', '/files/'] },
      fuzzMaxExecs: 400,
      rounds: { rps: 3, fuzz: 2, stable: 1 },
      quick: false,
      machine: { cpu_model: 'cpu', cores: 2, kernel: '6.1', node: 'v20', strace: '6.1' },
      date: '2026-01-01T00:00:00.000Z',
      benchSeconds: 200,
    };
  }

  it('has every key the brief asks for, with medians and paired ratios', () => {
    const r = buildReport(input());
    expect(r.example_rps_untraced).toBe(3000);
    expect(r.example_rps_full_strace).toBe(100);
    expect(r.example_rps_filtered).toBe(2800);
    expect(r.full_strace_overhead_ratio).toBe(25); // per round: 30, 25, 20
    expect(r.filtered_overhead_ratio).toBe(1.05); // 1.0345, 1.0526, 1.0714
    expect(r.execs_per_sec_jobs1).toBe(45);
    expect(r.execs_per_sec_jobs2).toBe(87);
    expect(r.jobs2_speedup_ratio).toBe(1.95); // 1.8, 2.1
    expect(r.example_seconds_to_stable).toBe(24.5);
    expect(r.example_execs_to_stable).toBe(1200);
    expect(r.peak_rss_mb).toBe(110);
    expect(r.machine).toEqual({ cpu_model: 'cpu', cores: 2, kernel: '6.1', node: 'v20', strace: '6.1' });
    expect(r.date).toBe('2026-01-01T00:00:00.000Z');
    expect(Object.keys(r.tracer_wakeups_per_request)).toEqual([...RPS_VARIANTS]);
    expect(r.trace_events_per_request.full_strace).toBe(50);
    expect(r.cpu_ms_per_request.untraced).toBe(0.8);
    // every round's CPU doubles or triples, the per-round ratio stays put
    expect(r.cpu_overhead_ratio).toEqual({ full_strace: 5, filtered: 1.25, filtered_tool_default: 1.25, filtered_thread_probe: 1.25 });
  });

  it('survives a JSON round trip and a missing metric becomes null, not a crash', () => {
    const i = input();
    delete i.samples.peak_rss_mb;
    const r = buildReport(i);
    const back = JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
    expect(back.peak_rss_mb).toBeNull(); // NaN serialises as null
    expect(back.example_rps_untraced).toBe(3000);
  });

  it('prints a table with one line per metric and the ratios', () => {
    const text = formatTable(buildReport(input()));
    expect(text).toMatch(/demo server req\/s, untraced\s+3000\s+2000\s+3000\s+3/);
    expect(text).toMatch(/untraced\/full\s+25\.0x/);
    expect(text).toMatch(/--jobs 2 speed-up\s+jobs2\/jobs1\s+1\.95x/);
  });
});
