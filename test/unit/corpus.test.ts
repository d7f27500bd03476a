import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalJson, ENTRY_FORMAT, inputId, type CorpusEntry } from '../../src/corpus/entry.js';
import { CorpusDir, corpusEntryProblem, loadCorpus } from '../../src/corpus/corpus.js';
import { greedyCover } from '../../src/corpus/minimize.js';

function entry(input: unknown, found: string[], exec: number): CorpusEntry {
  const id = inputId('http', input);
  return {
    format: ENTRY_FORMAT,
    id,
    strategy: 'http',
    input,
    parent: null,
    found,
    origin: { exec, epoch: 1, job: 0, time: new Date(0).toISOString(), elapsedMs: exec },
    signature: '200',
    describe: 'x',
  };
}

describe('content addressing', () => {
  it('gives the same id whatever the key order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(obj));
        expect(inputId('http', reversed)).toBe(inputId('http', obj));
      }),
    );
  });
  it('distinguishes strategies and values', () => {
    expect(inputId('http', { a: 1 })).not.toBe(inputId('args', { a: 1 }));
    expect(inputId('http', { a: 1 })).not.toBe(inputId('http', { a: 2 }));
  });
});

describe('corpus directory', () => {
  it('saves atomically and loads in discovery order; corrupt files are reported and left alone', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sc-corpus-'));
    const corpus = new CorpusDir(dir);
    await corpus.open();
    await corpus.save(entry({ p: '/b' }, ['fsync'], 20));
    await corpus.save(entry({ p: '/a' }, ['openat'], 10));
    await writeFile(path.join(dir, `${'0'.repeat(64)}.json`), '{ not json');
    await writeFile(path.join(dir, `${'1'.repeat(64)}.json`), JSON.stringify(entry({ p: '/c' }, [], 5)));
    await corpus.close();
    const { entries, problems } = await loadCorpus(dir);
    expect(entries.map((e) => (e.input as { p: string }).p)).toEqual(['/a', '/b']);
    expect(problems.map((p) => path.basename(p.file)).sort()).toEqual([`${'0'.repeat(64)}.json`, `${'1'.repeat(64)}.json`]);
    expect(problems.find((p) => p.file.includes('1111'))?.reason).toMatch(/does not match id/);
    expect((await readdir(dir)).filter((n) => n.endsWith('.json'))).toHaveLength(4);
    // no temp files left behind by the atomic writes
    expect((await readdir(dir)).some((n) => n.includes('.tmp') || /\.\d+$/.test(n))).toBe(false);
  });

  it('refuses a second process on the same corpus', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sc-corpus-'));
    const a = new CorpusDir(dir);
    await a.open();
    await expect(new CorpusDir(dir).open()).rejects.toThrow(/in use/);
    await a.close();
  });

  it('validates entries field by field', () => {
    const good = entry({ p: '/' }, ['read'], 1);
    expect(corpusEntryProblem(good, `${good.id}.json`)).toBeUndefined();
    expect(corpusEntryProblem({ ...good, format: 'x' })).toMatch(/format/);
    expect(corpusEntryProblem({ ...good, found: 'read' })).toMatch(/found/);
    expect(corpusEntryProblem([])).toMatch(/object/);
  });
});

describe('minimisation (greedy set cover)', () => {
  it('keeps a subset, in order, that covers every feature', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ features: fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), { maxLength: 5 }), size: fc.nat(100) }), { maxLength: 30 }),
        (raw) => {
          const items = raw.map((r, i) => ({ item: i, features: r.features, size: r.size }));
          const kept = greedyCover(items);
          const all = new Set(items.flatMap((i) => i.features));
          const covered = new Set(kept.flatMap((i) => i.features));
          expect(covered).toEqual(all);
          const order = kept.map((k) => k.item);
          expect([...order].sort((x, y) => x - y)).toEqual(order);
          expect(kept.length).toBeLessThanOrEqual(all.size);
        },
      ),
    );
  });
  it('drops entries whose features others already cover', () => {
    const kept = greedyCover([
      { item: 'small', features: ['a'], size: 1 },
      { item: 'big', features: ['a', 'b'], size: 10 },
      { item: 'c', features: ['c'], size: 1 },
    ]);
    expect(kept.map((k) => k.item)).toEqual(['big', 'c']);
  });
});

describe('verify: same answer', () => {
  it('accepts a response lost to a reset when both connections were torn down, and nothing else', async () => {
    const { sameAnswer } = await import('../../src/verify/verifier.js');
    expect(sameAnswer('200 close', 'reset')).toBe(true);
    expect(sameAnswer('200 404 close', '200 reset')).toBe(true);
    expect(sameAnswer('200', '200')).toBe(true);
    expect(sameAnswer('200', 'close')).toBe(false); // the confined connection died early
    expect(sameAnswer('200 close', '500 close')).toBe(false);
    expect(sameAnswer('201 close', '500 reset')).toBe(false);
    expect(sameAnswer('SIGQUIT exit 0', 'SIGQUIT exit 1')).toBe(false);
  });
});

describe('atomic writes', () => {
  it('create the folder they write into', async () => {
    const { writeFileAtomically } = await import('../../src/util/atomic.js');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sc-atomic-'));
    const file = path.join(dir, 'a', 'b', 'profile.json');
    await writeFileAtomically(file, '{}\n');
    expect(await readdir(path.join(dir, 'a', 'b'))).toEqual(['profile.json']);
  });
});
