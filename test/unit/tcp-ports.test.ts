import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canConnectPath, udpBound } from '../../src/target/ports.js';

/** The readiness probes of the new endpoints (--ready endpoints): a Unix socket that accepts, a bound UDP port. */
const work = mkdtempSync(join(tmpdir(), 'sc-tcp-ports-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('readiness of unix and udp endpoints', () => {
  it('a unix socket is ready once it accepts a connection', async () => {
    const path = join(work, 'ready.sock');
    expect(await canConnectPath(path)).toBe(false);
    const server = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      expect(await canConnectPath(path)).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await canConnectPath(path)).toBe(false);
  });

  it('a udp port is ready once a socket is bound to it (IPv4 and IPv6 alike)', async () => {
    for (const type of ['udp4', 'udp6'] as const) {
      const socket = dgram.createSocket(type);
      const bound = await new Promise<boolean>((resolve) => {
        socket.once('error', () => resolve(false));
        socket.bind(0, type === 'udp4' ? '127.0.0.1' : '::1', () => resolve(true));
      });
      // a host without IPv6 has no ::1 to bind: nothing to check there
      if (!bound && type === 'udp6') continue;
      expect(bound, type).toBe(true);
      const port = socket.address().port;
      expect(await udpBound(port), type).toBe(true);
      await new Promise<void>((resolve) => socket.close(resolve));
      expect(await udpBound(port), type).toBe(false);
    }
  });
});
