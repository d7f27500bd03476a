import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Progress } from '../../src/engine/campaign.js';
import { createProgressReporter, progressLine, statusPanel } from '../../src/report/progress.js';

const progress = (over: Partial<Progress> = {}): Progress => ({
  elapsedMs: 83_000,
  executions: 1231,
  execsPerSec: 66.2,
  features: 173,
  syscalls: 73,
  corpus: 46,
  crashes: 2,
  hangs: 7,
  epochs: 192,
  msSinceLastFind: 20_000,
  lastFind: 'fsync rename',
  saturation: { executions: 1000, observed: 170, q1: 12, q2: 9, estimatedTotal: 178, estimatedMissing: 7.99, discoveryProbability: 0.0179 },
  strategies: [
    { name: 'http', runs: 1020, finds: 64 },
    { name: 'signals', runs: 30, finds: 5 },
    { name: 'faults', runs: 170, finds: 102 },
  ],
  ...over,
});

/** A stream that records what is written; `tty` makes it look like a terminal. */
function sink(tty: boolean, columns = 100, rows = 40) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY: tty, columns, rows });
  return { stream, text: () => chunks.join('') };
}

describe('progress line (no terminal)', () => {
  it('says what a fuzzer user watches, on one line', () => {
    expect(progressLine(progress())).toBe(
      '1m23s | execs 1,231 (66/s) | syscalls 73 | features 173 | corpus 46 | est. missing 8.0 | last find 20.0s ago (fsync rename) | crashes 2 hangs 7',
    );
    expect(progressLine(progress({ crashes: 0, hangs: 0, lastFind: undefined }))).not.toMatch(/crashes|\(fsync/);
  });

  it('writes a plain line every 10 s when stderr is not a terminal, and nothing when quiet', () => {
    const out = sink(false);
    const reporter = createProgressReporter({ stream: out.stream, quiet: false });
    for (let t = 0; t <= 25_000; t += 250) reporter.update(progress({ elapsedMs: t }));
    reporter.clear();
    const lines = out.text().split('\n').filter(Boolean);
    expect(lines).toHaveLength(2); // at 10 s and 20 s
    expect(lines[0]).toMatch(/^10\.0s \| execs 1,231/);
    expect(out.text()).not.toMatch(/\x1b/);

    const quiet = sink(true);
    const silent = createProgressReporter({ stream: quiet.stream, quiet: true });
    silent.update(progress());
    silent.clear();
    expect(quiet.text()).toBe('');
  });
});

describe('status panel', () => {
  it('shows executions, speed, features, syscalls, epochs, corpus, last find, strategies, Q1/Q2 and crashes', () => {
    const panel = statusPanel(progress(), { width: 80, title: 'fuzz · node server.mjs --port {port}' });
    expect(panel).toBe(
      [
        ' seccomplete fuzz · node server.mjs --port {port}                               ',
        '┌─ progress ───────────────────────────┬─ discovery ───────────────────────────┐',
        '│   run time  1m23s                    │  features  173                        │',
        '│ executions  1,231                    │  syscalls  73                         │',
        '│      speed  66/s                     │    corpus  46                         │',
        '│     epochs  192                      │ last find  20.0s ago                  │',
        '│    crashes  2   hangs 7              │            fsync rename               │',
        '├─ saturation (Chao2) ─────────────────┼─ strategies ──────────────────────────┤',
        '│ est. missing  8.0                    │    http    1,020 runs    64 finds     │',
        '│      Q1 / Q2  12 / 9                 │ signals       30 runs     5 finds     │',
        '│  P(new) Q1/n  1.79%                  │  faults      170 runs   102 finds     │',
        '└──────────────────────────────────────┴───────────────────────────────────────┘',
      ].join('\n'),
    );
  });

  it('marks saturation the way --until-stable judges it', () => {
    const sat = { executions: 500, observed: 80, q1: 0, q2: 3, estimatedTotal: 80, estimatedMissing: 0, discoveryProbability: 0 };
    expect(statusPanel(progress({ saturation: sat }))).toContain('est. missing  0.0  (saturated)');
    expect(statusPanel(progress({ saturation: { ...sat, executions: 50 } }))).not.toContain('saturated');
  });

  it('stacks the boxes in one column on a narrow terminal', () => {
    const lines = statusPanel(progress(), { width: 50 }).split('\n');
    expect(lines.every((l) => [...l].length === 50)).toBe(true);
    expect(lines.filter((l) => /^[┌├]─ /.test(l)).map((l) => /─ ([\w ()]+?) ─/.exec(l)?.[1])).toEqual(['progress', 'discovery', 'saturation (Chao2)', 'strategies']);
  });

  it('every line has exactly the panel width, whatever it shows', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 300 }),
        fc.string({ maxLength: 200 }),
        fc.array(fc.record({ name: fc.string({ maxLength: 30 }), runs: fc.nat(), finds: fc.nat() }), { maxLength: 6 }),
        fc.nat(),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        (width, lastFind, strategies, executions, missing) => {
          const panel = statusPanel(
            progress({ lastFind, strategies, executions, saturation: { ...progress().saturation, estimatedMissing: missing } }),
            { width, title: lastFind },
          );
          const expected = Math.max(44, Math.min(100, width));
          for (const line of panel.split('\n')) expect([...line].length).toBe(expected);
          expect(panel).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
        },
      ),
    );
  });

  it('is redrawn in place on a terminal, and cleared before other output', () => {
    const out = sink(true, 100, 40);
    const reporter = createProgressReporter({ stream: out.stream, quiet: false, title: 'fuzz' });
    reporter.update(progress({ executions: 10 }));
    reporter.update(progress({ executions: 20 }));
    reporter.clear();
    const text = out.text();
    expect(text).toContain('│ executions  10 ');
    expect(text).toContain('20'); // the second frame patches the changed line in place
    expect(text).toMatch(/\x1b\[\d*A|\x1b\[\d*F|\x1b\[2K/); // cursor movement / erasing: not a scrolling log
    expect(text.split('seccomplete fuzz').length - 1).toBe(1); // the unchanged title is not written again
  });

  it('falls back to one line when the terminal is too small for the panel', () => {
    const out = sink(true, 100, 8);
    const reporter = createProgressReporter({ stream: out.stream, quiet: false });
    reporter.update(progress());
    expect(out.text()).toContain('1m23s | execs 1,231 (66/s)');
    expect(out.text()).not.toContain('┌');
  });
});
