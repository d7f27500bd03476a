import { clip, esc } from './escape.js';

/**
 * Line charts as inline SVG strings (pure: data in, markup out). No script, no
 * external font: the report that embeds them opens anywhere, offline.
 */

export type Point = readonly [number, number];

export interface Series {
  name: string;
  points: readonly Point[];
  /** a CSS colour */
  color: string;
  dashed?: boolean;
}

/** A point of interest drawn as a small diamond, e.g. a find made by a target's start-up. */
export interface Marker {
  x: number;
  y: number;
  label: string;
}

export interface ChartSpec {
  /** accessible name and <title> of the chart */
  title: string;
  xLabel: string;
  yLabel: string;
  /** how x values are printed on the axis: plain numbers or milliseconds as durations */
  xKind?: 'number' | 'duration';
  series: readonly Series[];
  markers?: { label: string; color: string; points: readonly Marker[] };
  /** short ticks along the x axis, e.g. where an epoch (a restart of the target) began */
  rug?: { label: string; color: string; values: readonly number[] };
  width?: number;
  height?: number;
  /** at most this many points per polyline (longer series are thinned, keeping extremes) */
  maxPoints?: number;
}

const MARGIN = { left: 58, right: 18, top: 34, bottom: 46 };

/** Renders one line chart; every coordinate lies inside `0 0 width height`. */
export function lineChart(spec: ChartSpec): string {
  const width = spec.width ?? 720;
  const height = spec.height ?? 300;
  const maxPoints = spec.maxPoints ?? 600;
  const series = spec.series.map((s) => ({ ...s, points: downsample(finitePoints(s.points), maxPoints) }));
  const markers = finitePoints((spec.markers?.points ?? []).map((m) => [m.x, m.y] as const));
  const rug = (spec.rug?.values ?? []).filter(Number.isFinite);

  // the legend comes first: it wraps onto more rows when the chart is narrow
  const legendItems: { swatch: (x: number, y: number) => string; label: string }[] = series.map((s) => ({
    label: s.name,
    swatch: (x, y) =>
      `<line x1="${x}" y1="${y}" x2="${x + 18}" y2="${y}" stroke="${esc(s.color)}" stroke-width="3"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`,
  }));
  if (spec.markers && markers.length > 0) {
    const color = spec.markers.color;
    legendItems.push({ label: spec.markers.label, swatch: (x, y) => `<path d="M${x + 9} ${y - 5}l5 5l-5 5l-5 -5z" fill="${esc(color)}"/>` });
  }
  if (spec.rug && rug.length > 0) {
    const color = spec.rug.color;
    legendItems.push({ label: spec.rug.label, swatch: (x, y) => `<path d="M${x + 9} ${y - 6}v12" stroke="${esc(color)}" stroke-width="2"/>` });
  }
  const legend: string[] = [];
  let lx = MARGIN.left;
  let ly = 14;
  const maxChars = Math.max(4, Math.floor((width - MARGIN.left - MARGIN.right - 24) / 6.6));
  for (const item of legendItems) {
    item.label = clip(item.label, maxChars);
    const w = 24 + approxTextWidth(item.label) + 18;
    if (lx > MARGIN.left && lx + w - 18 > width - MARGIN.right) {
      lx = MARGIN.left;
      ly += 18;
    }
    legend.push(item.swatch(lx, ly), `<text x="${lx + 24}" y="${ly + 4}">${esc(item.label)}</text>`);
    lx += w;
  }
  const top = Math.min(MARGIN.top + (ly - 14), Math.max(MARGIN.top, height / 3));
  const plot = { x0: MARGIN.left, x1: width - MARGIN.right, y0: top, y1: height - MARGIN.bottom };

  // both axes start at 0 unless the data goes below
  let xMin = 0;
  let xMax = 0;
  let yMin = 0;
  let yMax = 0;
  const see = (x: number, y: number) => {
    xMin = Math.min(xMin, x);
    xMax = Math.max(xMax, x);
    yMin = Math.min(yMin, y);
    yMax = Math.max(yMax, y);
  };
  for (const s of series) for (const [x, y] of s.points) see(x, y);
  for (const [x, y] of markers) see(x, y);
  for (const x of rug) see(x, 0);
  const yTicks = niceTicks(yMin, yMax, 5);
  const yLo = Math.min(yMin, yTicks[0] ?? yMin);
  const yHi = Math.max(yTicks[yTicks.length - 1] ?? 1, yLo + 1);
  const xTicks = spec.xKind === 'duration' ? durationTicks(xMin, xMax, 6) : niceTicks(xMin, xMax, 6).filter((t) => t <= xMax);
  const xHi = xMax > xMin ? xMax : xMin + 1;

  const sx = (x: number) => clamp(plot.x0 + ((x - xMin) / (xHi - xMin)) * (plot.x1 - plot.x0), plot.x0, plot.x1);
  const sy = (y: number) => clamp(plot.y1 - ((y - yLo) / (yHi - yLo)) * (plot.y1 - plot.y0), plot.y0, plot.y1);
  const fmtX = spec.xKind === 'duration' ? formatDurationTick : formatNumber;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(spec.title)}">`,
    `<title>${esc(spec.title)}</title>`,
  );
  // grid and y axis
  out.push('<g class="grid">');
  for (const t of yTicks) {
    if (t < yLo || t > yHi) continue;
    const y = r(sy(t));
    out.push(`<line x1="${plot.x0}" y1="${y}" x2="${plot.x1}" y2="${y}"/>`);
  }
  out.push('</g><g class="tick-labels y">');
  for (const t of yTicks) {
    if (t < yLo || t > yHi) continue;
    out.push(`<text x="${plot.x0 - 8}" y="${r(sy(t) + 4)}" text-anchor="end">${esc(formatNumber(t))}</text>`);
  }
  out.push('</g><g class="tick-labels x">');
  for (const t of xTicks) {
    const x = r(sx(t));
    out.push(`<line class="tick" x1="${x}" y1="${plot.y1}" x2="${x}" y2="${plot.y1 + 5}"/>`);
    out.push(`<text x="${x}" y="${plot.y1 + 18}" text-anchor="middle">${esc(fmtX(t))}</text>`);
  }
  out.push('</g>');
  out.push(`<path class="axis" d="M${plot.x0} ${plot.y0}V${plot.y1}H${plot.x1}"/>`);
  out.push(
    `<text class="axis-label" x="${r((plot.x0 + plot.x1) / 2)}" y="${height - 8}" text-anchor="middle">${esc(spec.xLabel)}</text>`,
    `<text class="axis-label" x="14" y="${r((plot.y0 + plot.y1) / 2)}" text-anchor="middle" transform="rotate(-90 14 ${r((plot.y0 + plot.y1) / 2)})">${esc(spec.yLabel)}</text>`,
  );

  if (rug.length > 0 && spec.rug) {
    const d = rug.map((x) => `M${r(sx(x))} ${plot.y1 - 7}v7`).join('');
    out.push(`<path class="rug" d="${d}" stroke="${esc(spec.rug.color)}"><title>${esc(`${spec.rug.label} (${rug.length})`)}</title></path>`);
  }

  const hasData = series.some((s) => s.points.length > 0);
  if (!hasData) {
    out.push(`<text class="no-data" x="${r((plot.x0 + plot.x1) / 2)}" y="${r((plot.y0 + plot.y1) / 2)}" text-anchor="middle">no data</text>`);
  }
  for (const s of series) {
    if (s.points.length === 0) continue;
    const pts = s.points.map(([x, y]) => `${r(sx(x))},${r(sy(y))}`).join(' ');
    const dash = s.dashed ? ' stroke-dasharray="5 4"' : '';
    out.push(
      `<polyline class="series" data-series="${esc(s.name)}" fill="none" stroke="${esc(s.color)}" stroke-width="2" stroke-linejoin="round"${dash} points="${pts}"><title>${esc(s.name)}</title></polyline>`,
    );
    if (s.points.length === 1) {
      const [x, y] = s.points[0] as Point;
      out.push(`<circle cx="${r(sx(x))}" cy="${r(sy(y))}" r="3" fill="${esc(s.color)}"/>`);
    }
  }
  if (spec.markers && markers.length > 0) {
    out.push(`<g class="markers" fill="${esc(spec.markers.color)}">`);
    for (const m of spec.markers.points) {
      if (!Number.isFinite(m.x) || !Number.isFinite(m.y)) continue;
      const x = r(sx(m.x));
      const y = r(sy(m.y));
      out.push(`<path d="M${x} ${r(y - 5)}l5 5l-5 5l-5 -5z"><title>${esc(m.label)}</title></path>`);
    }
    out.push('</g>');
  }

  out.push(`<g class="legend">${legend.join('')}`);
  out.push('</g></svg>');
  return out.join('');
}

/** Round-number ticks covering [min, max]: 1, 2 or 5 times a power of ten apart. */
export function niceTicks(min: number, max: number, count: number): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0];
  if (max < min) [min, max] = [max, min];
  if (!Number.isFinite(max - min)) return [min, max];
  if (max === min) {
    if (max === 0) return [0, 1];
    min = Math.min(0, min);
    max = Math.max(0, max);
  }
  const step = niceStep((max - min) / Math.max(1, count));
  let first = Math.floor(min / step) * step;
  if (first > min) first -= step; // min / step underflowed to -0
  const ticks: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = first + i * step;
    if (t > max + step * 0.5) break;
    ticks.push(roundTo(t, step));
  }
  // rounding may have pulled an end tick inside the range
  for (let k = 0; k < 2 && (ticks[0] ?? Infinity) > min; k++) ticks.unshift(roundTo((ticks[0] as number) - step, step));
  for (let k = 0; k < 2 && (ticks[ticks.length - 1] ?? -Infinity) < max; k++) ticks.push(roundTo((ticks[ticks.length - 1] as number) + step, step));
  return ticks;
}

function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return Math.max(nice * power, 1e-9);
}

const roundTo = (value: number, step: number) => {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(value.toFixed(Math.min(decimals, 12)));
};

const DURATION_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map((s) => s * 1000);

/** Ticks on whole seconds, minutes or hours for an axis of milliseconds. */
export function durationTicks(min: number, max: number, count: number): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max <= min) return [Number.isFinite(min) ? min : 0];
  const span = max - min;
  const step = DURATION_STEPS.find((s) => span / s <= count) ?? Math.ceil(span / count / 86_400_000) * 86_400_000;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max && ticks.length < 50; t += step) ticks.push(t);
  return ticks;
}

export function formatDurationTick(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return m > 0 ? `${h}h${String(m).padStart(2, '0')}` : `${h}h`;
  return rest > 0 ? `${m}m${String(rest).padStart(2, '0')}` : `${m}m`;
}

export function formatNumber(n: number): string {
  if (Math.abs(n) >= 1e6) return `${trim(n / 1e6)}M`;
  if (Math.abs(n) >= 1e4) return `${trim(n / 1e3)}k`;
  return Number.isInteger(n) ? n.toLocaleString('en-US') : trim(n);
}

const trim = (n: number) => String(Number(n.toFixed(2)));

/**
 * Thins a series to about `max` points: the first and last point are kept, and of
 * every bucket in between its lowest and highest point, so peaks survive.
 */
export function downsample(points: readonly Point[], max: number): Point[] {
  if (points.length <= max || max < 4) return [...points];
  const first = points[0] as Point;
  const last = points[points.length - 1] as Point;
  const inner = points.slice(1, -1);
  const buckets = Math.max(1, Math.floor((max - 2) / 2));
  const size = inner.length / buckets;
  const out: Point[] = [first];
  for (let b = 0; b < buckets; b++) {
    const chunk = inner.slice(Math.floor(b * size), Math.floor((b + 1) * size));
    if (chunk.length === 0) continue;
    let lo = 0;
    let hi = 0;
    chunk.forEach((p, i) => {
      if (p[1] < (chunk[lo] as Point)[1]) lo = i;
      if (p[1] > (chunk[hi] as Point)[1]) hi = i;
    });
    for (const i of lo === hi ? [lo] : [Math.min(lo, hi), Math.max(lo, hi)]) out.push(chunk[i] as Point);
  }
  out.push(last);
  return out;
}

function finitePoints(points: readonly Point[]): Point[] {
  return points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
}

const clamp = (v: number, lo: number, hi: number) => (Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : lo);
const r = (v: number) => Math.round(v * 10) / 10;
/** about 6.6 px per character at the 12 px legend size */
const approxTextWidth = (text: string) => [...text].length * 6.6;
