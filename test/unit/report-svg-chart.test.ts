import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { downsample, durationTicks, formatDurationTick, lineChart, niceTicks, type ChartSpec } from '../../src/report/svg-chart.js';
import { xmlProblem } from '../helpers/xml.js';

/** Every coordinate pair the chart draws for its data: polyline points, single-point circles, marker diamonds. */
function drawnPoints(svg: string): { polylines: [number, number][][]; others: [number, number][] } {
  const polylines = [...svg.matchAll(/<polyline [^>]*points="([^"]*)"/g)].map((m) =>
    (m[1] as string).split(' ').map((pair) => pair.split(',').map(Number) as [number, number]),
  );
  const others: [number, number][] = [];
  for (const m of svg.matchAll(/<circle cx="([^"]+)" cy="([^"]+)"/g)) others.push([Number(m[1]), Number(m[2])]);
  for (const m of svg.matchAll(/<g class="markers"[^>]*>(.*?)<\/g>/g)) {
    for (const d of (m[1] as string).matchAll(/d="M([-\d.e]+) ([-\d.e]+)/g)) others.push([Number(d[1]), Number(d[2])]);
  }
  return { polylines, others };
}

function viewBox(svg: string): [number, number] {
  const m = /viewBox="0 0 (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)"/.exec(svg);
  expect(m, 'viewBox').not.toBeNull();
  return [Number(m![1]), Number(m![2])];
}

describe('svg line chart', () => {
  const spec: ChartSpec = {
    title: 'Features over executions',
    xLabel: 'executions',
    yLabel: 'distinct',
    series: [
      { name: 'features', color: '#2563eb', points: [[0, 0], [10, 60], [200, 80], [400, 81]] },
      { name: 'syscalls', color: '#ea580c', points: [[0, 0], [10, 50], [400, 68]], dashed: true },
    ],
    markers: { label: 'start-up finds', color: '#059669', points: [{ x: 0, y: 60, label: 'start-up: +60' }] },
    rug: { label: 'epoch starts', color: '#94a3b8', values: [0, 120, 240] },
  };

  it('draws axes with round ticks, labels, a legend and one polyline per series', () => {
    const svg = lineChart(spec);
    expect(xmlProblem(svg)).toBeUndefined();
    expect(svg).toContain('<title>Features over executions</title>');
    expect(svg).toMatch(/>executions<\/text>/);
    expect(svg).toMatch(/>distinct<\/text>/);
    for (const label of ['0', '100', '200', '300', '400']) expect(svg).toContain(`text-anchor="middle">${label}</text>`);
    expect(svg).toContain('text-anchor="end">80</text>');
    const { polylines } = drawnPoints(svg);
    expect(polylines).toHaveLength(2);
    expect(polylines[0]).toHaveLength(4);
    expect(svg).toContain('stroke-dasharray="5 4"');
    // legend: both series, the markers and the rug
    for (const name of ['features', 'syscalls', 'start-up finds', 'epoch starts']) expect(svg).toContain(`>${name}</text>`);
    expect(svg).toContain('<title>start-up: +60</title>');
  });

  it('puts larger values higher and later values further right', () => {
    const [line] = drawnPoints(lineChart(spec)).polylines;
    const pts = line!;
    for (let i = 1; i < pts.length; i++) {
      expect(pts[i]![0]).toBeGreaterThan(pts[i - 1]![0]);
      expect(pts[i]![1]).toBeLessThanOrEqual(pts[i - 1]![1]);
    }
  });

  it('prints a duration axis in seconds, minutes and hours', () => {
    expect(durationTicks(0, 183_000, 6)).toEqual([0, 60_000, 120_000, 180_000]);
    expect(durationTicks(0, 9_000, 6)).toEqual([0, 2_000, 4_000, 6_000, 8_000]);
    expect(formatDurationTick(90_000)).toBe('1m30');
    expect(formatDurationTick(7_200_000)).toBe('2h');
    const svg = lineChart({ ...spec, xKind: 'duration', series: [{ name: 'f', color: 'red', points: [[0, 1], [183_000, 5]] }] });
    expect(svg).toContain('>3m</text>');
  });

  it('escapes names and titles', () => {
    const svg = lineChart({ ...spec, title: '<script>alert(1)</script>', series: [{ name: '"><script>x</script>', color: 'red" onload="x', points: [[1, 1], [2, 2]] }] });
    expect(svg).not.toMatch(/<script/i);
    expect(svg).not.toContain('onload="');
    expect(xmlProblem(svg)).toBeUndefined();
  });

  it('says so when there is nothing to draw', () => {
    const svg = lineChart({ ...spec, series: [{ name: 'f', color: 'red', points: [] }], markers: undefined, rug: undefined });
    expect(svg).toContain('no data');
    expect(xmlProblem(svg)).toBeUndefined();
  });

  it('renders any series as a well-formed SVG whose points lie inside its viewBox', () => {
    const value = fc.oneof(fc.double(), fc.integer({ min: -1e6, max: 1e9 }), fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1e308, -1e308, 5e-324));
    const point = fc.tuple(value, value);
    fc.assert(
      fc.property(
        fc.array(fc.record({ name: fc.string({ maxLength: 40 }), points: fc.array(point, { maxLength: 60 }), dashed: fc.boolean() }), { maxLength: 4 }),
        fc.array(fc.record({ x: value, y: value, label: fc.string({ maxLength: 20 }) }), { maxLength: 5 }),
        fc.array(value, { maxLength: 10 }),
        fc.constantFrom<'number' | 'duration'>('number', 'duration'),
        fc.integer({ min: 200, max: 1400 }),
        fc.integer({ min: 120, max: 600 }),
        fc.integer({ min: 4, max: 50 }),
        (series, markers, rug, xKind, width, height, maxPoints) => {
          const svg = lineChart({
            title: 'property',
            xLabel: 'x',
            yLabel: 'y',
            xKind,
            width,
            height,
            maxPoints,
            series: series.map((s, i) => ({ ...s, color: ['#123456', 'red'][i % 2] as string })),
            markers: { label: 'm', color: 'green', points: markers },
            rug: { label: 'r', color: 'grey', values: rug },
          });
          expect(xmlProblem(svg)).toBeUndefined();
          const [w, h] = viewBox(svg);
          expect([w, h]).toEqual([width, height]);
          const { polylines, others } = drawnPoints(svg);
          const drawable = series.filter((s) => s.points.some(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
          expect(polylines).toHaveLength(drawable.length);
          for (const line of polylines) {
            expect(line.length).toBeGreaterThan(0);
            expect(line.length).toBeLessThanOrEqual(Math.max(maxPoints, 4));
          }
          for (const [x, y] of [...polylines.flat(), ...others]) {
            expect(Number.isFinite(x) && Number.isFinite(y)).toBe(true);
            expect(x).toBeGreaterThanOrEqual(0);
            expect(x).toBeLessThanOrEqual(w);
            expect(y).toBeGreaterThanOrEqual(0);
            expect(y).toBeLessThanOrEqual(h);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('chart helpers', () => {
  it('niceTicks covers the range with evenly spaced round numbers', () => {
    expect(niceTicks(0, 81, 5)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0, 0, 5)).toEqual([0, 1]);
    fc.assert(
      fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.double({ min: -1e9, max: 1e9, noNaN: true }), (a, b) => {
        const lo = Math.min(a, b);
        const hi = Math.max(a, b);
        // a range narrower than the numbers' own precision has no round ticks to speak of
        fc.pre(lo === hi || hi - lo > 1e-9 * Math.max(1, Math.abs(lo), Math.abs(hi)));
        const ticks = niceTicks(lo, hi, 5);
        expect(ticks.length).toBeGreaterThanOrEqual(2);
        expect(ticks.length).toBeLessThanOrEqual(12);
        expect(ticks[0]!).toBeLessThanOrEqual(lo === hi ? Math.min(0, lo) : lo);
        expect(ticks[ticks.length - 1]!).toBeGreaterThanOrEqual(hi);
        for (let i = 1; i < ticks.length; i++) expect(ticks[i]!).toBeGreaterThan(ticks[i - 1]!);
      }),
      { numRuns: 2000 },
    );
  });

  it('downsample keeps the ends and the extremes, and no more than asked', () => {
    const points = Array.from({ length: 5000 }, (_, i) => [i, i === 2345 ? 1e6 : Math.sin(i)] as const);
    const thin = downsample(points, 200);
    expect(thin.length).toBeLessThanOrEqual(200);
    expect(thin[0]).toEqual(points[0]);
    expect(thin[thin.length - 1]).toEqual(points[4999]);
    expect(thin.some(([, y]) => y === 1e6)).toBe(true);
    for (let i = 1; i < thin.length; i++) expect(thin[i]![0]).toBeGreaterThan(thin[i - 1]![0]);
  });
});
