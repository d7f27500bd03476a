import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PathDictionary } from '../../strategies/http/dictionary.js';
import { extractAttributeLinks, learnPaths, toSamePath } from '../../strategies/http/links.js';
import type { HttpResponse } from '../../strategies/http/response.js';

const own = (hostPort: string) => hostPort === 'localhost:8080' || hostPort === 'localhost:80';

function response(headers: [string, string][], body = ''): HttpResponse {
  const bytes = Buffer.from(body);
  return { version: 'HTTP/1.1', status: 200, headers, body: bytes, bodyBytes: bytes.length, closesConnection: false };
}

describe('extractAttributeLinks', () => {
  it('reads href, src, action and formaction in any quoting', () => {
    const html = `
      <a href="/about">about</a> <A HREF='/files/'>files</A> <img src=/logo.png alt=x>
      <form method="post" action="/upload" enctype="application/octet-stream"><button formaction="/upload?now=1">go</button></form>
      <script src = "/app.js"></script>`;
    expect(extractAttributeLinks(html)).toEqual(['/about', '/files/', '/logo.png', '/upload', '/upload?now=1', '/app.js']);
  });

  it('decodes character references', () => {
    expect(extractAttributeLinks('<a href="/q?a=1&amp;b=2&#38;c=&#x33;">')).toEqual(['/q?a=1&b=2&c=3']);
  });

  it('ignores look-alike attributes and text', () => {
    expect(extractAttributeLinks('<div data-href="/no" xhref="/no2">href is a word, src too</div><a href="">')).toEqual([]);
  });
});

describe('toSamePath', () => {
  it.each([
    ['/about', '/', '/about'],
    ['uptime', '/tools/', '/tools/uptime'],
    ['uptime', '/tools/index.html', '/tools/uptime'],
    ['../report?x=1#top', '/tools/uptime', '/report?x=1'],
    ['http://localhost:8080/files/', '/', '/files/'],
    ['http://localhost/files/', '/', '/files/'],
    ['/a b', '/', '/a%20b'],
  ])('%s on %s is %s', (link, base, expected) => {
    expect(toSamePath(link, base, own)).toBe(expected);
  });

  it.each(['http://example.com/x', '//example.com/x', 'mailto:a@b.c', 'javascript:alert(1)', 'data:text/plain,hi', 'http://[bad'])(
    'ignores %s',
    (link) => {
      expect(toSamePath(link, '/', own)).toBeUndefined();
    },
  );

  it('resolves against / when the base is not a path (OPTIONS *)', () => {
    expect(toSamePath('x', '*', own)).toBe('/x');
  });
});

describe('learnPaths', () => {
  it('learns Location, Content-Location and links of an HTML body, once each', () => {
    const res = response(
      [['Location', '/files/upload-1.bin'], ['Content-Location', 'http://localhost:8080/about'], ['Content-Type', 'text/html']],
      '<a href="/about">a</a><a href="/files/">f</a><a href="https://elsewhere.org/">x</a>',
    );
    expect(learnPaths(res, '/', own)).toEqual(['/files/upload-1.bin', '/about', '/files/']);
  });

  it('learns the entries of an nginx autoindex listing, relative to the directory', () => {
    const listing = `<html>\r\n<head><title>Index of /sub/</title></head>\r\n<body>\r\n<h1>Index of /sub/</h1><hr><pre><a href="../">../</a>\r\n<a href="deeper/">deeper/</a>                                            28-Nov-2026 16:59                   -\r\n<a href="large%20file.txt">large file.txt</a>                                     28-Nov-2026 16:59             4051\r\n</pre><hr></body>\r\n</html>\r\n`;
    const res = response([['Content-Type', 'text/html']], listing);
    expect(learnPaths(res, '/sub/', own)).toEqual(['/', '/sub/deeper/', '/sub/large%20file.txt']);
  });

  it('learns an nginx redirect to the directory, absolute with the Host we sent', () => {
    const res = response([['Location', 'http://localhost/sub/'], ['Content-Type', 'text/html']], '<html>301</html>');
    expect(learnPaths(res, '/sub', own)).toEqual(['/sub/']);
  });

  it('reads a gzip-compressed body', () => {
    const body = zlib.gzipSync('<a href="/report">r</a>');
    const res = { ...response([['Content-Type', 'text/html'], ['Content-Encoding', 'gzip']]), body, bodyBytes: body.length };
    expect(learnPaths(res, '/', own)).toEqual(['/report']);
  });

  it('skips bodies that cannot hold links, and bodies that do not decode', () => {
    expect(learnPaths(response([['Content-Type', 'image/png']], '<a href="/no">'), '/', own)).toEqual([]);
    expect(learnPaths(response([['Content-Type', 'text/html'], ['Content-Encoding', 'gzip']], '<a href="/no">'), '/', own)).toEqual([]);
  });
});

describe('PathDictionary', () => {
  it('keeps seed paths, reports new paths once, and lists in order', () => {
    const dict = new PathDictionary(['/', '/', '/seed']);
    expect(dict.learn(['/a', '/', '/b', '/a'])).toEqual(['/a', '/b']);
    expect(dict.learn(['/a'])).toEqual([]);
    expect(dict.paths()).toEqual(['/', '/seed', '/b', '/a']);
    expect(dict.has('/b')).toBe(true);
  });

  it('is bounded, evicting the least recently seen learned path', () => {
    const dict = new PathDictionary(['/'], 3);
    dict.learn(['/a', '/b', '/c']);
    dict.learn(['/a']); // seen again: now the most recent
    dict.learn(['/d']);
    expect(dict.paths()).toEqual(['/', '/c', '/a', '/d']);
    for (let i = 0; i < 100; i++) dict.learn([`/upload-${i}`]);
    expect(dict.paths()).toHaveLength(4);
    expect(dict.paths()[0]).toBe('/');
  });

  it('hands out a new snapshot only when something changed', () => {
    const dict = new PathDictionary(['/']);
    const before = dict.paths();
    expect(dict.paths()).toBe(before);
    dict.learn(['/x']);
    expect(dict.paths()).not.toBe(before);
    expect(before).toEqual(['/']);
  });
});
