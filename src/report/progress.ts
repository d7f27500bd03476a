import { createLogUpdate } from 'log-update';
import type { Progress } from '../engine/campaign.js';
import { STABLE_DISCOVERY_PROBABILITY, STABLE_MIN_EXECS, STABLE_MISSING } from '../engine/stop-rule.js';
import { formatDuration } from '../util/duration.js';

const num = (n: number) => n.toLocaleString('en-US');

/** One status line: what a fuzzer user watches (CI logs, narrow terminals). */
export function progressLine(p: Progress): string {
  const missing = p.saturation.estimatedMissing;
  return [
    `${formatDuration(p.elapsedMs)}`,
    `execs ${num(p.executions)} (${p.execsPerSec.toFixed(0)}/s)`,
    `syscalls ${p.syscalls}`,
    `features ${p.features}`,
    `corpus ${p.corpus}`,
    `est. missing ${Number.isFinite(missing) ? missing.toFixed(1) : '?'}`,
    `last find ${formatDuration(p.msSinceLastFind)} ago${p.lastFind ? ` (${p.lastFind})` : ''}`,
    p.crashes + p.hangs > 0 ? `crashes ${p.crashes} hangs ${p.hangs}` : '',
  ]
    .filter(Boolean)
    .join(' | ');
}

/** Fewer columns than this and the panel becomes one column; fewer than PANEL_MIN_WIDTH, one line. */
const TWO_COLUMN_WIDTH = 72;
export const PANEL_MIN_WIDTH = 44;
const PANEL_MAX_WIDTH = 100;

type Row = [label: string, value: string];

/**
 * The live status panel (AFL's screen, small): progress, discovery, saturation and
 * strategies in boxes. Pure: the same progress and width always give the same text.
 * Every line is exactly `width` columns wide (`width` clamped to 44..100).
 */
export function statusPanel(p: Progress, o: { width?: number; title?: string } = {}): string {
  const width = Math.max(PANEL_MIN_WIDTH, Math.min(PANEL_MAX_WIDTH, Math.floor(o.width ?? 80)));
  const sat = p.saturation;
  const missing = Number.isFinite(sat.estimatedMissing) ? sat.estimatedMissing.toFixed(1) : '?';
  // the stop rule's test (--until-stable), which needs at least 100 executions to mean anything
  const stable = sat.executions >= STABLE_MIN_EXECS && sat.estimatedMissing < STABLE_MISSING && sat.discoveryProbability < STABLE_DISCOVERY_PROBABILITY;

  const progress: Row[] = [
    ['run time', formatDuration(p.elapsedMs)],
    ['executions', num(p.executions)],
    ['speed', `${p.execsPerSec.toFixed(p.execsPerSec < 10 ? 1 : 0)}/s`],
    ['epochs', num(p.epochs)],
    ['crashes', `${num(p.crashes)}   hangs ${num(p.hangs)}`],
  ];
  const discovery: Row[] = [
    ['features', num(p.features)],
    ['syscalls', num(p.syscalls)],
    ['corpus', num(p.corpus)],
    ['last find', p.lastFind === undefined ? 'none yet' : `${formatDuration(p.msSinceLastFind)} ago`],
    ['', p.lastFind ?? ''],
  ];
  const saturation: Row[] = [
    ['est. missing', `${missing}${stable ? '  (saturated)' : ''}`],
    ['Q1 / Q2', `${num(sat.q1)} / ${num(sat.q2)}`],
    ['P(new) Q1/n', `${(sat.discoveryProbability * 100).toFixed(2)}%`],
  ];
  const strategies: Row[] = (p.strategies ?? []).map((s) => [s.name, `${num(s.runs).padStart(7)} runs ${num(s.finds).padStart(5)} finds`]);
  if (strategies.length === 0) strategies.push(['', 'replaying queued inputs']);

  const lines: string[] = [];
  const title = ` seccomplete${o.title ? ` ${o.title}` : ''} `;
  lines.push(fit(`${title}`, width));
  if (width >= TWO_COLUMN_WIDTH) {
    const left = Math.floor((width - 7) / 2);
    const right = width - 7 - left;
    const pair = (a: Row[], b: Row[], la: number, lb: number) => {
      for (let i = 0; i < Math.max(a.length, b.length); i++) {
        lines.push(`│ ${cell(a[i], la, left)} │ ${cell(b[i], lb, right)} │`);
      }
    };
    lines.push(`┌${rule('progress', left + 2)}┬${rule('discovery', right + 2)}┐`);
    pair(progress, discovery, 10, 9);
    lines.push(`├${rule('saturation (Chao2)', left + 2)}┼${rule('strategies', right + 2)}┤`);
    pair(saturation, strategies, 12, labelWidth(strategies));
    lines.push(`└${'─'.repeat(left + 2)}┴${'─'.repeat(right + 2)}┘`);
  } else {
    const inner = width - 4;
    const section = (name: string, rows: Row[], lw: number, first: boolean) => {
      lines.push(`${first ? '┌' : '├'}${rule(name, inner + 2)}${first ? '┐' : '┤'}`);
      for (const r of rows) lines.push(`│ ${cell(r, lw, inner)} │`);
    };
    section('progress', progress, 10, true);
    section('discovery', discovery, 9, false);
    section('saturation (Chao2)', saturation, 12, false);
    section('strategies', strategies, labelWidth(strategies), false);
    lines.push(`└${'─'.repeat(inner + 2)}┘`);
  }
  return lines.join('\n');
}

const labelWidth = (rows: Row[]) => Math.min(12, Math.max(0, ...rows.map((r) => r[0].length)));

/** `label  value`, the label right-aligned in `labelWidth`, the whole exactly `width` wide. */
function cell(row: Row | undefined, labelWidth: number, width: number): string {
  if (!row) return ' '.repeat(width);
  const [label, value] = row;
  const text = label || labelWidth > 0 ? `${label.slice(0, labelWidth).padStart(labelWidth)}  ${value}` : value;
  return fit(text, width);
}

/** `─ name ───…` exactly `width` wide. */
function rule(name: string, width: number): string {
  const head = `─ ${name} `;
  return head.length >= width ? '─'.repeat(width) : head + '─'.repeat(width - head.length);
}

/** Cuts or pads to exactly `width` columns (one column per code point: the panel's text is ASCII but for the title). */
function fit(text: string, width: number): string {
  const chars = [...text.replace(/[\u0000-\u001f\u007f]/g, ' ')];
  if (chars.length > width) return `${chars.slice(0, width - 1).join('')}…`;
  return chars.join('') + ' '.repeat(width - chars.length);
}

export interface ProgressReporterOptions {
  stream: NodeJS.WriteStream;
  quiet: boolean;
  /** without a terminal: one plain line this often (default 10 s) */
  plainEveryMs?: number;
  /** shown in the panel's first line, e.g. `fuzz node server.mjs` */
  title?: string;
}

/**
 * Live progress on stderr: on a terminal, a status panel redrawn in place (one line
 * when the terminal is too small for it); otherwise a plain line every `plainEveryMs`
 * (CI logs); nothing when quiet.
 */
export function createProgressReporter(opts: ProgressReporterOptions) {
  const tty = opts.stream.isTTY === true;
  const every = opts.plainEveryMs ?? 10_000;
  let lastPlain = 0;
  let drawn = false;
  // The cursor stays visible: hiding it would need an exit hook to show it again.
  const live = tty ? createLogUpdate(opts.stream, { showCursor: true }) : undefined;
  return {
    update(p: Progress): void {
      if (opts.quiet) return;
      if (live) {
        // a pseudo-terminal nobody sized reports 0 x 0
        const width = opts.stream.columns || 80;
        const rows = opts.stream.rows || 24;
        const panel = statusPanel(p, { width: width - 1, ...(opts.title ? { title: opts.title } : {}) });
        const fits = width - 1 >= PANEL_MIN_WIDTH && panel.split('\n').length < rows;
        live(fits ? panel : progressLine(p).slice(0, Math.max(1, width - 1)));
        drawn = true;
      } else if (p.elapsedMs - lastPlain >= every) {
        lastPlain = p.elapsedMs;
        opts.stream.write(`${progressLine(p)}\n`);
      }
    },
    /** clears the live panel before other output */
    clear(): void {
      if (live && drawn) live.clear();
      drawn = false;
    },
  };
}
