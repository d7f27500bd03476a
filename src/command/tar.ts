/**
 * A minimal POSIX ustar writer. We write archives ourselves rather than spawning `tar`
 * so that the bytes depend on nothing but the entries: no host uid/gid/user names, no
 * tar version, no current time. That keeps `tar` contents reproducible across machines.
 */

export interface TarEntry {
  /** path inside the archive, '/'-separated; directories get their trailing '/' added */
  name: string;
  type: 'file' | 'dir' | 'symlink';
  /** kind 'file' only */
  data?: Buffer;
  /** kind 'symlink' only */
  linkname?: string;
  /** permission bits; defaults 0o644 (file), 0o755 (dir), 0o777 (symlink) */
  mode?: number;
}

export interface TarOptions {
  /** seconds since the epoch, for every entry; default 2020-01-01T00:00:00Z */
  mtime?: number;
}

const BLOCK = 512;
const DEFAULT_MTIME = Date.UTC(2020, 0, 1) / 1000;
const TYPEFLAG = { file: '0', dir: '5', symlink: '2' } as const;
const DEFAULT_MODE = { file: 0o644, dir: 0o755, symlink: 0o777 } as const;

/** A complete archive: one header (+ data, padded to 512) per entry, then two zero blocks. */
export function ustar(entries: readonly TarEntry[], options: TarOptions = {}): Buffer {
  const mtime = Math.max(0, Math.floor(options.mtime ?? DEFAULT_MTIME));
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.type === 'file' ? (entry.data ?? Buffer.alloc(0)) : Buffer.alloc(0);
    parts.push(header(entry, data.length, mtime));
    if (data.length > 0) {
      parts.push(data);
      const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
      if (pad > 0) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

function header(entry: TarEntry, size: number, mtime: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  const full = entry.type === 'dir' && !entry.name.endsWith('/') ? `${entry.name}/` : entry.name;
  if (full.length === 0 || full.includes('\0')) throw new Error(`tar: invalid entry name ${JSON.stringify(entry.name)}`);
  const [prefix, name] = splitName(full);
  writeString(h, 0, 100, name);
  writeOctal(h, 100, 8, (entry.mode ?? DEFAULT_MODE[entry.type]) & 0o7777);
  writeOctal(h, 108, 8, 0); // uid
  writeOctal(h, 116, 8, 0); // gid
  writeOctal(h, 124, 12, size);
  writeOctal(h, 136, 12, mtime);
  h.write(TYPEFLAG[entry.type], 156, 'latin1');
  if (entry.type === 'symlink') {
    const link = entry.linkname ?? '';
    if (Buffer.byteLength(link) > 100) throw new Error(`tar: link target longer than 100 bytes: ${link}`);
    writeString(h, 157, 100, link);
  }
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  writeString(h, 265, 32, 'root'); // uname
  writeString(h, 297, 32, 'root'); // gname
  writeOctal(h, 329, 8, 0); // devmajor
  writeOctal(h, 337, 8, 0); // devminor
  writeString(h, 345, 155, prefix);
  // the checksum is computed with its own field read as eight spaces
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

/** ustar keeps names over 100 bytes as prefix (<= 155) + '/' + name (<= 100). */
function splitName(full: string): [string, string] {
  const bytes = Buffer.byteLength(full);
  if (bytes <= 100) return ['', full];
  // a directory's trailing '/' is not a split point: the name part would be empty
  for (let i = full.length - 2; i > 0; i--) {
    if (full[i] !== '/') continue;
    const prefix = full.slice(0, i);
    const name = full.slice(i + 1);
    if (Buffer.byteLength(name) > 100) break; // only shorter names further left
    if (Buffer.byteLength(prefix) <= 155) return [prefix, name];
  }
  throw new Error(`tar: name does not fit a ustar header: ${full}`);
}

function writeString(h: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new Error(`tar: field too long: ${value}`);
  bytes.copy(h, offset);
}

/** Zero-padded octal digits followed by a NUL, as GNU and BSD tar write them. */
function writeOctal(h: Buffer, offset: number, length: number, value: number): void {
  const digits = value.toString(8).padStart(length - 1, '0');
  if (digits.length > length - 1) throw new Error(`tar: value ${value} does not fit ${length - 1} octal digits`);
  h.write(`${digits}\0`, offset, 'latin1');
}
