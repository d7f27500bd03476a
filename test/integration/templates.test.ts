import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TargetInstance } from '../../src/target/instance.js';

describe('--template', () => {
  it('renders a file, or every file below a directory, with {port}, {workdir} and the next {generation}', async () => {
    const src = await mkdtemp(path.join(os.tmpdir(), 'sc-tpl-'));
    await mkdir(path.join(src, 'www', 'files'), { recursive: true });
    await writeFile(path.join(src, 'app.conf'), 'listen {port}; root {workdir}/www; # gen {generation}\n');
    await writeFile(path.join(src, 'www', 'index.html'), 'port {port}\n');
    await writeFile(path.join(src, 'www', 'files', 'a.txt'), 'plain\n');
    const instance = new TargetInstance(
      {
        command: ['sleep', '30'],
        port: 'auto',
        ready: { kind: 'delay', ms: 10 },
        readyTimeoutMs: 5000,
        templates: [
          { source: path.join(src, 'app.conf'), destination: 'app.conf' },
          { source: path.join(src, 'www'), destination: 'www' },
        ],
        env: {},
        endpoints: [],
      },
      { runDir: await mkdtemp(path.join(os.tmpdir(), 'sc-tpl-run-')), slot: 0, stracePath: 'strace', arch: 'x86_64' },
    );
    await instance.start({ kind: 'none' });
    try {
      const wd = instance.workdir;
      expect(await readFile(path.join(wd, 'app.conf'), 'utf8')).toBe(`listen ${instance.port}; root ${wd}/www; # gen 0\n`);
      expect(await readFile(path.join(wd, 'www', 'index.html'), 'utf8')).toBe(`port ${instance.port}\n`);
      expect(await readFile(path.join(wd, 'www', 'files', 'a.txt'), 'utf8')).toBe('plain\n');
      expect(await instance.rerenderTemplates()).toBe(1);
      expect(await readFile(path.join(wd, 'app.conf'), 'utf8')).toMatch(/# gen 1\n$/);
    } finally {
      await instance.stop(0);
    }
  });

  it('gives each instance distinct ports for {port2}, {port3}… in the command, the templates and the --endpoint URLs', async () => {
    const src = await mkdtemp(path.join(os.tmpdir(), 'sc-tpl-'));
    await writeFile(path.join(src, 'app.conf'), 'plain {port1}; tls {port2}; upstream {port3};\n');
    // the server listens on every port the config names: --ready port waits for {port} only
    const script = `const net = require('net'); for (const p of process.argv.slice(1)) net.createServer((s) => s.end('hi')).listen(Number(p), '127.0.0.1');`;
    const spec = {
      kind: 'server' as const,
      command: ['node', '-e', script, '{port}', '{port2}', '{port3}'],
      port: 'auto' as const,
      ready: { kind: 'port' as const },
      readyTimeoutMs: 10_000,
      templates: [{ source: path.join(src, 'app.conf'), destination: 'app.conf' }],
      env: {},
      endpoints: [
        { tls: false, host: '127.0.0.1', port: '{port}' },
        { tls: true, host: '127.0.0.1', port: '{port2}' },
      ],
    };
    const runDir = await mkdtemp(path.join(os.tmpdir(), 'sc-tpl-run-'));
    const a = new TargetInstance(spec, { runDir, slot: 0, stracePath: 'strace', arch: 'x86_64' });
    const b = new TargetInstance(spec, { runDir, slot: 1, stracePath: 'strace', arch: 'x86_64' });
    await Promise.all([a.start({ kind: 'none' }), b.start({ kind: 'none' })]);
    try {
      for (const instance of [a, b]) {
        expect(instance.ports).toHaveLength(3);
        const [p1, p2, p3] = instance.ports;
        expect(await readFile(path.join(instance.workdir, 'app.conf'), 'utf8')).toBe(`plain ${p1}; tls ${p2}; upstream ${p3};\n`);
        expect(instance.endpoints).toEqual([
          { host: '127.0.0.1', port: p1, tls: false },
          { host: '127.0.0.1', port: p2, tls: true },
        ]);
      }
      const all = [...a.ports, ...b.ports];
      expect(new Set(all).size).toBe(6);
    } finally {
      await Promise.all([a.stop(0), b.stop(0)]);
    }
  });
});
