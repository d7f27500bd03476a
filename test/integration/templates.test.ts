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
});
