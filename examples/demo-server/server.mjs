// The example target bundled with seccomplete: a small file server.
//
//   node examples/demo-server/server.mjs --port PORT --root DIR
//
// Each route makes a different set of system calls (directory reads, fsync + rename,
// a child process, zlib on the threadpool), and each is reachable only through what
// the server itself reveals: links, a form action, a Location header. Start-up plus
// `GET /` therefore misses most of them; a fuzzer that follows links finds them.
import http from 'node:http';
import os from 'node:os';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync } from 'node:fs';
import { open, opendir, readdir, rename, stat, unlink } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { gzip } from 'node:zlib';

const { values: args } = parseArgs({ options: { port: { type: 'string', default: '8080' }, root: { type: 'string' } } });
if (!args.root) {
  console.error('usage: server.mjs --port PORT --root DIR');
  process.exit(2);
}
const PUBLIC = fileURLToPath(new URL('./public/', import.meta.url));
const ROOT = args.root;
const UPLOADS = join(ROOT, 'uploads');
mkdirSync(UPLOADS, { recursive: true });

const MAX_UPLOAD = 1024 * 1024;
const UPTIME = ['/usr/bin/uptime', '/bin/uptime'].find((p) => existsSync(p));
const TYPES = { '.html': 'text/html; charset=utf-8', '.txt': 'text/plain; charset=utf-8', '.json': 'application/json' };
const startedAt = Date.now();
const hits = {};

class HttpError extends Error {
  constructor(status, message = http.STATUS_CODES[status], headers = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body); // Node drops the body itself when answering HEAD
}

const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// Uploaded files shadow shipped ones. If-None-Match answers 304 from the stat alone;
// HEAD never opens the file.
async function serveFile(req, res, name, dirs = [UPLOADS, PUBLIC]) {
  for (const dir of dirs) {
    const info = await stat(join(dir, name)).catch(() => undefined);
    if (!info?.isFile()) continue;
    const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { ETag: etag }).end();
    const type = TYPES[extname(name)] ?? 'application/octet-stream';
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': info.size, ETag: etag });
    if (req.method === 'HEAD') return void res.end();
    return pipeline(createReadStream(join(dir, name)), res);
  }
  throw new HttpError(404);
}

async function listFiles(req, res) {
  const rows = [];
  for (const dir of [UPLOADS, PUBLIC]) {
    for await (const entry of await opendir(dir)) {
      const info = await stat(join(dir, entry.name));
      rows.push(`<li><a href="/files/${encodeURIComponent(entry.name)}">${escapeHtml(entry.name)}</a> ${info.size} bytes</li>`);
    }
  }
  rows.sort();
  send(res, 200, `<!doctype html><title>files</title><h1>Files</h1><ul>${rows.join('')}</ul>`, { 'Content-Type': TYPES['.html'] });
}

// Reads the whole body even when it is too large, so the client gets a 413 and not a reset.
async function readBody(req, limit) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  if (size > limit) throw new HttpError(413, `body over ${limit} bytes`);
  return Buffer.concat(chunks);
}

// write + fsync + rename: a reader of uploads/ never sees a half-written file.
async function upload(req, res) {
  const body = await readBody(req, MAX_UPLOAD);
  // Named by content, so that replaying the same inputs recreates the same files.
  const name = `upload-${createHash('sha256').update(body).digest('hex').slice(0, 12)}.bin`;
  const tmp = join(ROOT, `.${name}.${randomBytes(4).toString('hex')}.tmp`);
  const file = await open(tmp, 'wx');
  try {
    await file.writeFile(body);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, join(UPLOADS, name));
  send(res, 201, `stored ${body.length} bytes\n`, { Location: `/files/${name}`, 'Content-Type': TYPES['.txt'] });
}

async function deleteUpload(req, res, name) {
  await unlink(join(UPLOADS, name)).catch((err) => {
    throw err.code === 'ENOENT' ? new HttpError(404) : err;
  });
  res.writeHead(204).end();
}

async function uptime(req, res) {
  const [file, argv] = UPTIME ? [UPTIME, []] : ['/bin/cat', ['/proc/uptime']];
  const { stdout } = await promisify(execFile)(file, argv, { timeout: 5000 });
  send(res, 200, stdout, { 'Content-Type': TYPES['.txt'] });
}

async function report(req, res) {
  const json = JSON.stringify({
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    requests: hits,
    uploads: (await readdir(UPLOADS)).length,
    loadavg: os.loadavg(),
    memory: process.memoryUsage(),
  });
  const headers = { 'Content-Type': TYPES['.json'], Vary: 'Accept-Encoding' };
  if (!/\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) return send(res, 200, json, headers);
  send(res, 200, await promisify(gzip)(json), { ...headers, 'Content-Encoding': 'gzip' });
}

const routes = {
  '/': { GET: (req, res) => serveFile(req, res, 'index.html', [PUBLIC]) },
  '/about': { GET: (req, res) => serveFile(req, res, 'about.html', [PUBLIC]) },
  '/files/': { GET: listFiles },
  '/upload': { POST: upload },
  '/tools/uptime': { GET: uptime },
  '/report': { GET: report },
};

function route(pathname) {
  if (Object.hasOwn(routes, pathname)) return { pattern: pathname, handlers: routes[pathname] };
  if (!pathname.startsWith('/files/')) return undefined;
  const name = decodeURIComponent(pathname.slice('/files/'.length)); // a URIError becomes a 400
  if (name === '.' || name === '..' || /[/\\\0]/.test(name)) throw new HttpError(400, 'bad file name');
  const handlers = { GET: (req, res) => serveFile(req, res, name), DELETE: (req, res) => deleteUpload(req, res, name) };
  return { pattern: '/files/NAME', handlers };
}

const server = http.createServer(async (req, res) => {
  try {
    const found = route((req.url ?? '/').split('?')[0]);
    if (!found) throw new HttpError(404);
    const { handlers, pattern } = found;
    const handler = handlers[req.method] ?? (req.method === 'HEAD' ? handlers.GET : undefined);
    const allow = Object.keys(handlers).concat(handlers.GET ? ['HEAD'] : []).join(', ');
    if (!handler) throw new HttpError(405, undefined, { Allow: allow });
    hits[pattern] = (hits[pattern] ?? 0) + 1;
    await handler(req, res);
  } catch (err) {
    if (res.destroyed) return; // the client went away mid-request: nobody to answer
    const status = err instanceof HttpError ? err.status : err instanceof URIError ? 400 : 500;
    if (status === 500) console.error(err);
    if (res.headersSent) return void res.destroy(); // mid-stream: the client sees the connection drop
    send(res, status, `${status} ${err.message}\n`, { 'Content-Type': TYPES['.txt'], ...err.headers });
  }
});

server.listen(Number(args.port), '127.0.0.1', () => {
  console.log(`listening on 127.0.0.1:${server.address().port}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    server.close(() => process.exit(0)); // also closes idle keep-alive connections
    setTimeout(() => process.exit(0), 2000).unref(); // a hung client must not keep us alive
  });
}
