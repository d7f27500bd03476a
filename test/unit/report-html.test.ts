import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENTRY_FORMAT, type CorpusEntry } from '../../src/corpus/entry.js';
import { COVERAGE_FORMAT, type CoverageFile } from '../../src/engine/campaign.js';
import { CLONE_NAMESPACE_MASK } from '../../src/profile/arg-rules.js';
import { parseDockerProfile } from '../../src/profile/docker.js';
import { allowListProfile, compareWithDockerDefault } from '../../src/report/docker-compare.js';
import { esc } from '../../src/report/escape.js';
import { renderReport, type ReportData } from '../../src/report/html.js';
import { parseStats, profileView } from '../../src/report/load-run.js';
import { HTML_VOID_ELEMENTS, xmlProblem } from '../helpers/xml.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DOCKER = parseDockerProfile(readFileSync(path.join(ROOT, 'data/docker-default-seccomp.json'), 'utf8'));

const EVIL = '<script>alert("pwned")</script>';
const ID_A = 'a'.repeat(64);
const ID_B = 'b'.repeat(64);
const ID_C = 'c'.repeat(64);

function entry(id: string, strategy: string, describe: string, found: string[], exec: number, input: unknown): CorpusEntry {
  return {
    format: ENTRY_FORMAT,
    id,
    strategy,
    input,
    parent: null,
    found,
    origin: { exec, epoch: 1, job: 0, time: '2026-11-28T12:00:00.000Z', elapsedMs: exec * 10 },
    signature: '200',
    describe,
  };
}

function fixture(): ReportData {
  const rec = (count: number, firstExec: number, strategy: string, firstEntry: string, faultCount?: number) => ({
    count,
    firstExec,
    firstAtMs: firstExec * 10,
    strategy,
    firstEntry,
    ...(faultCount ? { faultCount } : {}),
  });
  const coverage: CoverageFile = {
    format: COVERAGE_FORMAT,
    arch: 'x86_64',
    argFeatures: true,
    command: ['node', 'server.mjs', '--greeting', EVIL],
    executions: 300,
    faultExecutions: 20,
    epochs: 4,
    elapsedMs: 60_000,
    syscalls: ['fsync', 'openat', 'read', 'rename', 'socket', 'write'],
    errorPathOnly: ['rename'],
    causes: [{ syscall: 'openat2', errno: 'EMFILE', found: 'rename' }],
    features: {
      openat: rec(50, 0, 'lifecycle', ID_A),
      read: rec(50, 0, 'lifecycle', ID_A),
      write: rec(50, 0, 'lifecycle', ID_A),
      socket: rec(3, 0, 'lifecycle', ID_A),
      'socket:AF_INET:SOCK_STREAM': rec(3, 0, 'lifecycle', ID_A),
      fsync: rec(1, 40, 'http', ID_B),
      rename: rec(0, 90, 'faults', ID_C, 1),
      'openat2!EMFILE->rename': rec(0, 90, 'faults', ID_C, 1),
      [`${EVIL}:x`]: rec(1, 95, 'http', ID_B),
    },
    strategies: [
      { name: 'http', runs: 250, finds: 2 },
      { name: 'faults', runs: 20, finds: 2 },
    ],
  };
  const stats = Array.from({ length: 60 }, (_, i) => ({
    elapsedMs: i * 1000,
    executions: i * 5,
    features: Math.min(9, 5 + Math.floor(i / 10)),
    syscalls: Math.min(6, 4 + Math.floor(i / 20)),
    execsPerSec: 5,
    corpus: 3,
    epochs: 1 + Math.floor(i / 20),
    crashes: 0,
    hangs: 0,
    q1: 2,
    q2: 1,
    estimatedMissing: 60 / (i + 1),
  }));
  return {
    outDir: `/tmp/out-${EVIL}`,
    generatedAt: '2026-11-28T12:00:00.000Z',
    coverage,
    summary: { reason: 'max-execs', executions: 320, elapsedMs: 60_000, crashes: 1, hangs: 0 },
    profile: {
      allowed: ['capset', 'fsync', 'openat', 'read', 'rename', 'socket', 'write'],
      conditional: [],
      source: {
        defaultAction: 'SCMP_ACT_ERRNO',
        defaultErrnoRet: 1,
        syscalls: [
          { names: ['fsync', 'openat', 'read', 'rename', 'socket', 'write'], action: 'SCMP_ACT_ALLOW' },
          { names: ['capset'], action: 'SCMP_ACT_ALLOW' },
          { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
        ],
      },
      runtimeOnly: ['capset'],
      runtime: 'runc 1.1.5',
      errno: [{ name: 'clone3', errno: 38, reason: 'ENOSYS makes glibc fall back to clone' }],
      defaultErrno: 1,
    },
    docker: DOCKER,
    stats,
    statsEarlierLines: 0,
    entries: [
      entry(ID_A, 'lifecycle', 'target startup', ['openat', 'read', 'socket', 'write'], 0, { event: 'startup' }),
      entry(ID_B, 'http', `POST /upload ${EVIL}`, ['fsync', `${EVIL}:x`], 40, { requests: [{ method: 'POST', path: `/${EVIL}`, body: '</pre><script>x()</script>' }] }),
      entry(ID_C, 'faults', 'openat2 EMFILE always, then http: GET /', ['rename', 'openat2!EMFILE->rename'], 90, { faults: [] }),
    ],
    crashes: [{ file: 'crash-1.json', kind: 'crash', strategy: EVIL, describe: EVIL, exit: 'signal SIGSEGV', time: '2026-11-28T12:00:00Z', outputTail: `</pre>${EVIL}<img src=x onerror=alert(1)>` }],
    problems: [`odd file ${EVIL}`],
  };
}

describe('report.html', () => {
  const html = renderReport(fixture());

  it('is one well-formed page with no script element, no network reference and a CSP that forbids both', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(xmlProblem(html, { void: HTML_VOID_ELEMENTS })).toBeUndefined();
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    // no event-handler attribute in any real tag (text like `onerror=` inside escaped content is harmless)
    const tags = html.match(/<[a-zA-Z][^>]*>/g) ?? [];
    expect(tags.filter((t) => /\son\w+\s*=/i.test(t))).toEqual([]);
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//i);
    expect(html).not.toMatch(/url\(|@import|<link/i);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    // the corpus's bytes are there, as text
    expect(html).toContain(esc(EVIL));
    expect(html).toContain('&lt;/pre&gt;&lt;script&gt;x()&lt;/script&gt;');
  });

  it('draws the discovery curves from stats.jsonl with epochs and start-up finds marked, and the Chao2 curve', () => {
    const polylines = html.match(/<polyline [^>]*>/g) ?? [];
    expect(polylines.map((p) => /data-series="([^"]+)"/.exec(p)?.[1])).toEqual([
      'features',
      'syscalls',
      'features',
      'syscalls',
      'estimated missing (Chao2)',
      'Q1: seen in one execution',
    ]);
    expect(polylines[0]!.match(/points="([^"]+)"/)![1]!.split(' ')).toHaveLength(60);
    expect(html).toContain('<path class="rug"');
    expect(html).toContain('<g class="markers"');
    expect(html).toContain('Source: stats.jsonl');
  });

  it('states the saturation at the end, computed from coverage.json', () => {
    // ordinary counts: 50, 50, 50, 3, 3, 1, 1 (the cause and the fault-only feature have count 0)
    expect(html).toMatch(/<code>S_obs<\/code><\/th><td class="num">7</);
    expect(html).toMatch(/<code>Q1<\/code><\/th><td class="num">2</);
    expect(html).toMatch(/<code>Q2<\/code><\/th><td class="num">0</);
    expect(html).toMatch(/<code>missing<\/code><\/th><td class="num">1\.00</); // (299/300)·2·1/2
    expect(html).toMatch(/<code>Q1\/n<\/code><\/th><td class="num">0\.67%</);
    expect(html).toContain('Good–Turing');
  });

  it('credits each strategy with runs, finds and what it found first', () => {
    const row = (name: string) => new RegExp(`${name}(?:<div[^>]*>[^<]*</div>)?</th>\\s*<td class="num">([^<]+)</td><td class="num">([^<]+)</td>\\s*<td class="num">([^<]+)</td><td class="num">([^<]+)</td>`).exec(html);
    expect(row('http')?.slice(1)).toEqual(['250', '2', '2', '2']); // fsync and the odd feature's syscall
    expect(row('faults')?.slice(1)).toEqual(['20', '2', '1', '1']);
    expect(row('lifecycle')?.slice(1)).toEqual(['–', '–', '4', '5']);
  });

  it('compares with Docker\'s default and lists the dangerous syscalls kept out', () => {
    expect(html).toMatch(/This profile allows <b>7<\/b> syscalls \(6 made by the target, 1 only by runc 1\.1\.5\)/);
    expect(html).toMatch(/among them <b>[^<]*ptrace/);
    expect(html).toMatch(/<code>ptrace<\/code><\/th><td><span class="badge ok">kept out<\/span><\/td><td>allowed<\/td>/);
    expect(html).toMatch(/<code>mount<\/code><\/th><td><span class="badge ok">kept out<\/span><\/td><td>only with CAP_SYS_ADMIN<\/td>/);
  });

  it('has a provenance row for every allowed syscall, naming the entry that needed it first', () => {
    for (const name of ['capset', 'fsync', 'openat', 'read', 'rename', 'socket', 'write']) expect(html).toContain(`<tr id="sc-${name}"`);
    const fsync = /<tr id="sc-fsync"[^>]*>(.*?)<\/tr>/s.exec(html)![1]!;
    expect(fsync).toContain('POST /upload &lt;script&gt;');
    expect(fsync).toContain('<code title="' + ID_B + '">bbbbbbbbbbbb</code>');
    expect(fsync).toContain('1 / 40');
    expect(fsync).toContain('seen once');
    const capset = /<tr id="sc-capset"[^>]*>(.*?)<\/tr>/s.exec(html)![1]!;
    expect(capset).toContain('runc 1.1.5 makes it');
    const rename = /<tr id="sc-rename"[^>]*>(.*?)<\/tr>/s.exec(html)![1]!;
    expect(rename).toContain('error path only');
    expect(rename).toContain('revealed by <code>openat2 EMFILE</code>');
    expect(/<tr id="sc-socket"[^>]*>(.*?)<\/tr>/s.exec(html)![1]).toContain('AF_INET:SOCK_STREAM');
  });

  it('lists the errno rules, error-path-only syscalls and fault causes', () => {
    expect(html).toMatch(/<code class="chip">clone3<\/code><\/div><\/th><td>ENOSYS \(38\)<\/td><td class="why">ENOSYS makes glibc fall back to clone/);
    expect(html).toMatch(/<tr><th><code>rename<\/code><\/th><td><div class="chips"><code class="chip">openat2 EMFILE<\/code>/);
    expect(html).toContain('<code>openat2 → EMFILE</code>');
  });

  it('falls back to coverage.json for the curve when stats.jsonl is missing', () => {
    const page = renderReport({ ...fixture(), stats: [] });
    expect(page).toContain('Source: coverage.json');
    const first = /<polyline [^>]*points="([^"]+)"/.exec(page)![1]!.split(' ');
    expect(first.length).toBeGreaterThanOrEqual(3);
    expect(xmlProblem(page, { void: HTML_VOID_ELEMENTS })).toBeUndefined();
  });

  it('survives a coverage file with odd records and no profile, docker baseline or corpus', () => {
    const d = fixture();
    (d.coverage.features as Record<string, unknown>)['weird'] = null;
    (d.coverage.features as Record<string, unknown>)['odd'] = { count: 'many', firstExec: '<b>' };
    const { profile: _p, docker: _d, ...rest } = d;
    const page = renderReport({ ...rest, entries: [], crashes: [] });
    expect(xmlProblem(page, { void: HTML_VOID_ELEMENTS })).toBeUndefined();
    expect(page).toContain('not available');
    expect(page).toContain('<tr id="sc-weird"');
  });
});

describe('Docker default comparison', () => {
  it('reads the default profile as a default x86_64 container sees it, as `seccomplete diff` does', () => {
    const c = compareWithDockerDefault(allowListProfile([]), DOCKER);
    const stance = new Map(c.dangerous.map((x) => [x.name, x.docker]));
    expect(c.dockerAllowed).toContain('read');
    expect(c.dockerAllowed).toContain('arch_prctl'); // amd64 only
    expect(c.dockerAllowed).toContain('chroot'); // CAP_SYS_CHROOT is a default capability
    expect(c.dockerAllowed).not.toContain('chown32'); // not an x86_64 syscall
    expect(c.dockerAllowedWithArgs).toContain('clone');
    expect(stance.get('ptrace')).toEqual({ kind: 'allowed' }); // minKernel 4.8
    expect(stance.get('mount')).toEqual({ kind: 'needs-caps', caps: ['CAP_SYS_ADMIN'] });
    expect(stance.get('clone3')).toMatchObject({ kind: 'needs-caps' }); // allowed with CAP_SYS_ADMIN, ENOSYS without
    expect(stance.get('keyctl')).toEqual({ kind: 'denied' });
  });

  it('says what each side allows and which dangerous calls are kept out', () => {
    const c = compareWithDockerDefault(allowListProfile(['read', 'write', 'ptrace', 'mount']), DOCKER);
    expect(c.both).toEqual(['ptrace', 'read', 'write']);
    expect(c.onlyOurs).toEqual([{ name: 'mount', docker: { kind: 'needs-caps', caps: ['CAP_SYS_ADMIN'] } }]);
    expect(c.keptOut).toContain('process_vm_readv');
    expect(c.keptOut).not.toContain('read');
    expect(c.dockerAllowed.length).toBeGreaterThan(250);
    const d = new Map(c.dangerous.map((x) => [x.name, x]));
    expect(d.get('ptrace')?.ours).toBe(true);
    expect(d.get('mount')?.ours).toBe(true);
    expect(d.get('process_vm_readv')?.ours).toBe(false);
  });

  it('counts clone as dangerous only when its flags may create namespaces', () => {
    const open = compareWithDockerDefault(allowListProfile(['clone']), DOCKER).dangerous.find((x) => x.name === 'clone');
    expect(open?.ours).toBe(true);
    const noNamespaces = compareWithDockerDefault(
      {
        defaultAction: 'SCMP_ACT_ERRNO',
        syscalls: [{ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: CLONE_NAMESPACE_MASK, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] }],
      },
      DOCKER,
    ).dangerous.find((x) => x.name === 'clone');
    expect(noNamespaces?.ours).toBe(false);
  });
});

describe('run files', () => {
  it('parseStats keeps the last run when a new one started over in the same directory', () => {
    const line = (e: number, t: number) => JSON.stringify({ executions: e, elapsedMs: t, features: e, syscalls: 1 });
    const text = [line(0, 0), line(10, 1000), line(20, 2000), '{"executions": 3', line(0, 100), line(5, 1100), ''].join('\n');
    const { lines, earlier } = parseStats(text);
    expect(earlier).toBe(3);
    expect(lines.map((l) => l.executions)).toEqual([0, 5]);
  });

  it('profileView finds the runtime-only rule and the errno rules with their reasons', () => {
    const view = profileView({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      syscalls: [
        { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW', comment: 'observed in the target by seccomplete' },
        { names: ['capset'], action: 'SCMP_ACT_ALLOW', comment: "not made by the target: needed by runc 1.1.5 between loading this filter and exec'ing the command" },
        { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, comment: 'fallback' },
      ],
    });
    expect(view).toMatchObject({
      allowed: ['capset', 'read', 'write'],
      conditional: [],
      runtimeOnly: ['capset'],
      runtime: 'runc 1.1.5',
      errno: [{ name: 'clone3', errno: 38, reason: 'fallback' }],
      defaultErrno: 1,
    });
  });
});
