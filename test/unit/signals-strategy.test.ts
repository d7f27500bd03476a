import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import type { DeliveryContext, ExitStatus, Strategy, TargetHandle } from '../../src/strategy.js';
import { createRng, sample } from '../../src/util/rng.js';
import { createHttpStrategy } from '../../strategies/http/index.js';
import { createServerStrategies, mutableKnowledge, type Knowledge } from '../../strategies/index.js';
import {
  createSignalsStrategy,
  deliverSignals,
  isContent,
  peersFrom,
  replaceFiles,
  rotateLogs,
  SIGNALS,
  TERMINATING,
  type Action,
  type SignalsInput,
} from '../../strategies/signals/index.js';

const jsonRoundTrip = <T>(x: T): unknown => JSON.parse(JSON.stringify(x));

/** The signals strategy with a real HTTP strategy as its peer, as `--strategies http,signals` makes them. */
function withHttp(signals?: string[]): { strategy: Strategy<SignalsInput>; http: Strategy; knowledge: Knowledge } {
  const list: Strategy[] = [];
  const knowledge: Knowledge = { syscalls: () => [], peers: () => list };
  const http = createHttpStrategy() as unknown as Strategy;
  const strategy = createSignalsStrategy({ signals, knowledge });
  list.push(http, strategy as unknown as Strategy);
  return { strategy, http, knowledge };
}

function alone(signals?: string[]): Strategy<SignalsInput> {
  const list: Strategy[] = [];
  const strategy = createSignalsStrategy({ signals, knowledge: { syscalls: () => [], peers: () => list } });
  list.push(strategy as unknown as Strategy);
  return strategy;
}

/** Every signal an input sends, with its recipient, `during` included. */
function signalsOf(input: SignalsInput): { signal: string; to: string }[] {
  return input.actions.flatMap((a) => (a.kind === 'signal' ? [a] : a.kind === 'during' ? a.actions.filter((x) => x.kind === 'signal') : [])) as {
    signal: string;
    to: string;
  }[];
}

const kinds = (input: SignalsInput) => input.actions.flatMap((a) => (a.kind === 'during' ? [a.kind, ...a.actions.map((x) => x.kind)] : [a.kind]));

/** Well-formed in every way the strategy promises, beyond what validate checks. */
function expectWellFormed(input: SignalsInput): void {
  expect(input.actions.length).toBeGreaterThanOrEqual(1);
  expect(input.actions.length).toBeLessThanOrEqual(4);
  const end = input.actions.findIndex((a) => a.kind === 'signal' && a.to === 'main' && TERMINATING.has(a.signal));
  if (end >= 0) expect(end).toBe(input.actions.length - 1); // nothing after the target is gone
}

describe('signals strategy: generated inputs', () => {
  const { strategy } = withHttp();

  it('validate gives back exactly what the arbitrary made, also after a JSON round trip', () => {
    fc.assert(
      fc.property(strategy.arbitrary(), (input) => {
        expect(strategy.validate(input)).toEqual(input);
        expect(strategy.validate(jsonRoundTrip(input))).toEqual(input);
        expectWellFormed(input);
        const line = strategy.describe(input);
        expect(line).not.toMatch(/\n/);
        expect(line.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it('reaches every kind of action, both recipients and every signal', () => {
    const rng = createRng(7);
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const input = sample(strategy.arbitrary(), rng);
      for (const k of kinds(input)) seen.add(k);
      for (const s of signalsOf(input)) seen.add(`${s.signal}->${s.to}`);
    }
    for (const k of ['signal', 'rerender', 'rotate-logs', 'replace-files', 'kill-worker', 'wait', 'port-taken-restart', 'peer', 'during']) expect(seen).toContain(k);
    for (const s of SIGNALS) expect(seen).toContain(`${s}->main`);
    expect([...seen].some((s) => s.endsWith('->child'))).toBe(true);
  });

  it('without an HTTP peer there are no peer or during actions', () => {
    const lonely = alone();
    fc.assert(
      fc.property(lonely.arbitrary(), (input) => {
        expect(kinds(input)).not.toContain('peer');
        expect(kinds(input)).not.toContain('during');
        expect(lonely.validate(jsonRoundTrip(input))).toEqual(input);
      }),
      { numRuns: 200 },
    );
  });
});

describe('signals strategy: mutation', () => {
  const { strategy } = withHttp();
  const corpus = fc.oneof(strategy.arbitrary(), fc.constantFrom(...strategy.seeds()));

  it('every mutant is valid, well formed and survives a JSON round trip', () => {
    fc.assert(
      fc.property(corpus, corpus, fc.integer(), fc.boolean(), (input, other, seed, splice) => {
        const rng = createRng(seed);
        let data = input;
        for (let i = 0; i < 4; i++) {
          data = strategy.mutate(data, rng, splice ? other : undefined);
          expect(strategy.validate(jsonRoundTrip(data))).toEqual(data);
          expectWellFormed(data);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('does not change its argument', () => {
    fc.assert(
      fc.property(corpus, fc.integer(), (input, seed) => {
        const before = structuredClone(input);
        strategy.mutate(input, createRng(seed));
        expect(input).toEqual(before);
      }),
      { numRuns: 100 },
    );
  });

  it('changes signals, recipients, order and the embedded HTTP input', () => {
    const rng = createRng(3);
    const start: SignalsInput = strategy.seeds()[0]!; // rerender, SIGHUP -> main, GET /
    const startPeer = JSON.stringify((start.actions[2] as { input: unknown }).input);
    const seen = { signal: false, recipient: false, order: false, http: false, length: false };
    for (let i = 0; i < 500; i++) {
      const m = strategy.mutate(start, rng);
      const sig = m.actions.find((a) => a.kind === 'signal');
      if (sig?.kind === 'signal' && sig.signal !== 'SIGHUP') seen.signal = true;
      if (sig?.kind === 'signal' && sig.to === 'child') seen.recipient = true;
      if (m.actions[0]?.kind === 'signal') seen.order = true;
      if (m.actions.length !== 3) seen.length = true;
      const peer = m.actions.find((a) => a.kind === 'peer');
      if (peer?.kind === 'peer' && JSON.stringify(peer.input) !== startPeer) seen.http = true;
    }
    expect(seen).toEqual({ signal: true, recipient: true, order: true, http: true, length: true });
  });

  it('is deterministic for a seed', () => {
    const run = (seed: number) => {
      const a = withHttp().strategy;
      const rng = createRng(seed);
      const out: SignalsInput[] = [];
      let data = a.seeds()[2]!;
      for (let i = 0; i < 50; i++) {
        data = i % 5 === 0 ? sample(a.arbitrary(), rng) : a.mutate(data, rng, a.seeds()[i % a.seeds().length]);
        out.push(data);
      }
      return out;
    };
    expect(run(42)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
  });
});

describe('--signals restricts what is sent', () => {
  it('arbitrary, mutate and seeds use only the listed signals; kill-worker only with KILL', () => {
    const { strategy } = withHttp(['hup', 'SIGUSR1', 'QUIT']);
    const allowed = new Set(['SIGHUP', 'SIGUSR1', 'SIGQUIT']);
    const unrestricted = withHttp().strategy;
    fc.assert(
      fc.property(fc.oneof(strategy.arbitrary(), unrestricted.arbitrary()), fc.integer(), (input, seed) => {
        const fresh = sample(strategy.arbitrary(), createRng(seed));
        const mutant = strategy.mutate(input, createRng(seed)); // even from an input with other signals
        for (const x of [fresh, mutant]) {
          for (const s of signalsOf(x)) expect(allowed).toContain(s.signal);
          expect(kinds(x)).not.toContain('kill-worker');
        }
      }),
      { numRuns: 300 },
    );
    const seeds = strategy.seeds();
    expect(seeds.length).toBeGreaterThan(0);
    for (const s of seeds) for (const x of signalsOf(s)) expect(allowed).toContain(x.signal);
    expect(new Set(seeds.flatMap(signalsOf).map((s) => s.signal))).toEqual(allowed);
  });

  it('KILL alone allows kill-worker and no signal action', () => {
    const { strategy } = withHttp(['KILL']);
    const rng = createRng(1);
    let killed = 0;
    for (let i = 0; i < 200; i++) {
      const input = sample(strategy.arbitrary(), rng);
      expect(signalsOf(input)).toEqual([]);
      if (kinds(input).includes('kill-worker')) killed += 1;
    }
    expect(killed).toBeGreaterThan(0);
  });

  it('unknown names are a usage error that lists the known ones', () => {
    for (const bad of [['HUP', 'SIGFOO'], [''], ['9']]) {
      let error: unknown;
      try {
        alone(bad);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).exitCode).toBe(2);
      expect((error as UserError).message).toMatch(/^--signals: /);
    }
    expect(() => alone(['SIGFOO'])).toThrow(/unknown signal 'SIGFOO' \(known: HUP, USR1, USR2, WINCH, TERM, QUIT, INT, CHLD/);
  });

  it('arrives through the registry as StrategyOptions.signals', () => {
    const [http, signals] = createServerStrategies(['http', 'signals'], { seedDirs: [], signals: ['TERM'], knowledge: mutableKnowledge() });
    expect(http!.name).toBe('http');
    expect(signals!.name).toBe('signals');
    const sent = (signals!.seeds() as SignalsInput[]).flatMap(signalsOf).map((s) => s.signal);
    expect(new Set(sent)).toEqual(new Set(['SIGTERM']));
    // the HTTP channel is its peer
    expect((signals!.seeds() as SignalsInput[]).some((s) => kinds(s).includes('peer'))).toBe(true);
  });
});

describe('seeds and describe', () => {
  it('seeds cover the production lifecycle paths and validate', () => {
    const { strategy } = withHttp();
    const seeds = strategy.seeds();
    for (const s of seeds) expect(strategy.validate(jsonRoundTrip(s))).toEqual(s);
    const lines = seeds.map((s) => strategy.describe(s));
    expect(lines).toContain('rerender, SIGHUP -> main, GET /');
    expect(lines).toContain('rotate-logs, SIGUSR1 -> main, GET /');
    expect(lines).toContain('during GET / +1 req (rerender, SIGHUP -> main)');
    expect(lines).toContain('SIGQUIT -> main');
    expect(lines).toContain('SIGTERM -> main');
    expect(lines).toContain('SIGHUP -> main');
    expect(lines).toContain('kill-worker, GET /');
    expect(lines).toContain('port-taken-restart, GET /');
    expect(withHttp().strategy.seeds()).toEqual(seeds); // the same every time
  });

  it('seeds without a peer carry no request', () => {
    const seeds = alone().seeds();
    expect(seeds.map((s) => kinds(s)).flat()).not.toContain('peer');
    expect(seeds.map((s) => alone().describe(s))).toContain('rerender, SIGHUP -> main');
  });
});

describe('validate', () => {
  const { strategy } = withHttp();
  const get = { requests: [{ method: 'GET', path: '/', version: 'HTTP/1.1', headers: [], body: '' }] };
  const bad: [unknown, RegExp][] = [
    [null, /an object with an "actions" array/],
    [{ actions: [] }, /1 to 4 actions, not 0/],
    [{ actions: Array(5).fill({ kind: 'rerender' }) }, /1 to 4 actions, not 5/],
    [{ actions: [{ kind: 'rerender' }], extra: 1 }, /only "actions", not "extra"/],
    [{ actions: [{ kind: 'explode' }] }, /actions\[0\]: unknown kind "explode"/],
    [{ actions: ['SIGHUP'] }, /actions\[0\]: an action is an object/],
    [{ actions: [{ kind: 'signal', signal: 'SIGKILL', to: 'main' }] }, /actions\[0\]: signal "SIGKILL" is not one of SIGHUP, /],
    [{ actions: [{ kind: 'signal', signal: 'SIGHUP', to: 'worker' }] }, /"to" must be "main" or "child"/],
    [{ actions: [{ kind: 'signal', signal: 'SIGHUP', to: 'main', pid: 4 }] }, /a 'signal' action has no "pid"/],
    [{ actions: [{ kind: 'wait', ms: 5000 }] }, /"ms" must be a whole number from 0 to 2000/],
    [{ actions: [{ kind: 'wait', ms: 1.5 }] }, /"ms" must be a whole number/],
    [{ actions: [{ kind: 'peer', strategy: 'grpc', input: {} }] }, /actions\[0\]: it carries a 'grpc' input, but 'grpc' is not enabled \(enabled: http\): add it to --strategies/],
    [{ actions: [{ kind: 'peer', strategy: 'http', input: { requests: [] } }] }, /actions\[0\]: http input: an HTTP input has 1 to 8 requests/],
    [{ actions: [{ kind: 'during', strategy: 'http', input: get, actions: [{ kind: 'kill-worker' }] }] }, /actions\[0\]\.actions\[0\]: 'kill-worker' cannot happen during a connection/],
    [{ actions: [{ kind: 'during', strategy: 'http', input: get, actions: [{ kind: 'signal', signal: 'SIGHUP', to: 'child' }] }] }, /signals go to the main process/],
    [{ actions: [{ kind: 'during', strategy: 'http', input: get, actions: [] }] }, /"actions" must be an array of 1 to 3 actions/],
    [{ actions: [{ kind: 'during', strategy: 'grpc', input: get, actions: [{ kind: 'wait', ms: 1 }] }] }, /"strategy" must be "http"/],
  ];
  it.each(bad)('rejects %j', (raw, message) => {
    expect(() => strategy.validate(raw)).toThrow(message);
  });

  it('an embedded input is checked by its own channel, which must be enabled', () => {
    const input = { actions: [{ kind: 'peer', strategy: 'http', input: get }] };
    expect(strategy.validate(input)).toEqual(input);
    expect(() => alone().validate(input)).toThrow(/'http' is not enabled: add it to --strategies/);
  });
});

describe('work directory events', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sctest-signals-'));
    for (const [file, text] of Object.entries({
      'nginx.conf': 'events {}',
      'nginx.pid': '123',
      'logs/error.log': 'e',
      'logs/access.log': 'a',
      'logs/README': 'r',
      'deep/a/b/c/app.log': 'x',
      'www/index.html': '<p>hi</p>',
      'www/files/data.json': '{}',
      'client_body_temp/0000001': 'body',
      '.hidden': 'h',
    })) {
      mkdirSync(join(dir, file, '..'), { recursive: true });
      writeFileSync(join(dir, file), text);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('rotate-logs moves every *.log to *.log.1, recursively', async () => {
    expect(await rotateLogs(dir)).toBe(3);
    expect(existsSync(join(dir, 'logs/error.log'))).toBe(false);
    expect(readFileSync(join(dir, 'logs/error.log.1'), 'utf8')).toBe('e');
    expect(existsSync(join(dir, 'deep/a/b/c/app.log.1'))).toBe(true);
    expect(await rotateLogs(dir)).toBe(0); // nothing reopened them yet
  });

  it('replace-files replaces served files atomically with other content, and nothing else', async () => {
    const inode = statSync(join(dir, 'www/index.html')).ino;
    expect(await replaceFiles(dir)).toBe(2);
    expect(readFileSync(join(dir, 'www/index.html'), 'utf8')).not.toBe('<p>hi</p>');
    expect(statSync(join(dir, 'www/index.html')).ino).not.toBe(inode);
    for (const [file, text] of [['nginx.conf', 'events {}'], ['nginx.pid', '123'], ['logs/README', 'r'], ['client_body_temp/0000001', 'body']]) {
      expect(readFileSync(join(dir, file!), 'utf8')).toBe(text);
    }
    await replaceFiles(dir);
    expect(readFileSync(join(dir, 'www/index.html'), 'utf8')).toBe('<p>hi</p>'); // does not grow
    expect(['www/a.html', 'data/x.db', 'x.log', 'x.log.1', 'run/a.pid', 'app.yaml', 'logs/x', 'proxy_temp/1', '.git/x'].map(isContent)).toEqual([
      true, true, false, false, false, false, false, false, false,
    ]);
  });
});

/**
 * deliver against a stand-in target: a sleeping process as its main process, a
 * recorded list of what was done to it, and a real HTTP server for the peer requests.
 */
describe('deliver', () => {
  let sleeper: ChildProcess;
  let server: http.Server;
  let port = 0;
  beforeAll(async () => {
    sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    server = http.createServer((req, res) => {
      res.setHeader('Content-Length', '2');
      res.end('ok');
    });
    server.keepAliveTimeout = 10_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    sleeper.kill('SIGKILL');
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function stand(o: { exitOn?: string[]; children?: number[][]; failRestart?: boolean } = {}) {
    const log: string[] = [];
    let exit: ExitStatus | undefined;
    let childLists = o.children ?? [[]];
    let killed = false;
    const workdir = mkdtempSync(join(tmpdir(), 'sctest-signals-deliver-'));
    const target: TargetHandle = {
      workdir,
      mainPid: () => sleeper.pid,
      // after a kill, each look at the tree finds its next state
      children: () => {
        const now = childLists[0] ?? [];
        if (killed && childLists.length > 1) childLists = childLists.slice(1);
        return now;
      },
      signal(signal, to) {
        log.push(`${signal} -> ${to === 'main' ? 'main' : `child ${to.child}`}`);
        if (to === 'main' && o.exitOn?.includes(signal)) exit = { code: 0 };
        if (to !== 'main') killed = true;
        if (signal === 'SIGHUP') server.closeIdleConnections(); // a reload closes idle keep-alive connections
        return true;
      },
      expectExit: () => void log.push('expectExit'),
      waitExit: async () => exit,
      rerenderTemplates: async () => (log.push('rerender'), 1),
      restart: async (options) => {
        log.push(`restart ${JSON.stringify(options)}`);
        if (o.failRestart) throw new Error('target exited with code 1 before it was ready');
        return { code: 0 };
      },
    };
    const ctx: DeliveryContext = { endpoint: { host: '127.0.0.1', port }, target, timeoutMs: 5000, signal: new AbortController().signal };
    return { ctx, log, cleanup: () => rmSync(workdir, { recursive: true, force: true }) };
  }

  const { strategy } = withHttp();
  const get = { requests: [{ method: 'GET', path: '/', version: 'HTTP/1.1', headers: [['Host', 'x']], body: '' }] };
  const run = async (actions: Action[], o?: Parameters<typeof stand>[0]) => {
    const s = stand(o);
    try {
      const result = await strategy.deliver({ actions }, s.ctx);
      return { signature: result.signature, log: s.log };
    } finally {
      s.cleanup();
    }
  };

  it('announces the exit before a terminating signal and puts the exit status in the signature', async () => {
    const r = await run([{ kind: 'signal', signal: 'SIGQUIT', to: 'main' }, { kind: 'peer', strategy: 'http', input: get }], { exitOn: ['SIGQUIT'] });
    expect(r.log).toEqual(['expectExit', 'SIGQUIT -> main']);
    expect(r.signature).toBe('SIGQUIT exit 0; skipped 1');
  });

  it('a terminating signal the target survives ends in a restart', async () => {
    const r = await run([{ kind: 'signal', signal: 'SIGTERM', to: 'main' }]);
    expect(r.log).toEqual(['expectExit', 'SIGTERM -> main', 'restart {}']);
    expect(r.signature).toBe('SIGTERM no exit, restarted');
  });

  it('a reload with a changed configuration, then a request', async () => {
    const r = await run([{ kind: 'rerender' }, { kind: 'signal', signal: 'SIGWINCH', to: 'main' }, { kind: 'peer', strategy: 'http', input: get }]);
    expect(r.log).toEqual(['rerender', 'SIGWINCH -> main']); // SIGWINCH does not end a process by default
    expect(r.signature).toBe('rerender; SIGWINCH ok; GET / 200');
  });

  it('a target that refuses to start while its port is taken exited by design, not by crash', async () => {
    const r = await run([{ kind: 'port-taken-restart' }, { kind: 'peer', strategy: 'http', input: get }], { failRestart: true });
    expect(r.log).toEqual(['restart {"holdPortMs":1200}', 'expectExit']);
    expect(r.signature).toBe('port-taken restart failed; skipped 1');
  });

  it('a killed worker that comes back, and a port taken at restart', async () => {
    const r = await run([{ kind: 'kill-worker' }, { kind: 'port-taken-restart' }], { children: [[101, 102], [102], [102, 103]] });
    expect(r.log).toEqual(['SIGKILL -> child 0', 'restart {"holdPortMs":1200}']);
    expect(r.signature).toBe('kill-worker respawned; port-taken restart ok');
    const none = await run([{ kind: 'kill-worker' }, { kind: 'signal', signal: 'SIGUSR1', to: 'child' }]);
    expect(none.signature).toBe('kill-worker none; SIGUSR1 -> child none');
  });

  it('during: a reload between two requests of one connection, which the reload closed', async () => {
    const two = { requests: [get.requests[0]!, get.requests[0]!] };
    const r = await run([{ kind: 'during', strategy: 'http', input: two, actions: [{ kind: 'signal', signal: 'SIGHUP', to: 'main' }] }]);
    // the sleeper (our main process) does not catch SIGHUP: its default action would end it
    expect(r.log).toEqual(['expectExit', 'SIGHUP -> main', 'restart {}']);
    expect(r.signature).toBe('during GET / +1 req 200 [SIGHUP no exit, restarted] reconnect 200');
    const kept = await run([{ kind: 'during', strategy: 'http', input: get, actions: [{ kind: 'wait', ms: 10 }] }]);
    expect(kept.signature).toBe('during GET / 200 [wait] 200'); // the connection stayed open
  });

  it('a corpus value is checked before anything is done to the target', async () => {
    const s = stand();
    try {
      await expect(deliverSignals(strategy.validate({ actions: [{ kind: 'wait', ms: 0 }] }), s.ctx, peersFrom(() => []))).resolves.toEqual({ signature: 'wait' });
      await expect(strategy.deliver({ actions: [{ kind: 'signal', signal: 'SIGKILL', to: 'main' }] } as unknown as SignalsInput, s.ctx)).rejects.toThrow(/not one of/);
      expect(s.log).toEqual([]);
    } finally {
      s.cleanup();
    }
  });
});
