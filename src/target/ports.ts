import net from 'node:net';
import { readFile } from 'node:fs/promises';

/** A port the kernel just handed out as free on 127.0.0.1 (racy by nature; instances retry on bind failure). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not allocate a port'));
      });
    });
  });
}

/** Resolves true as soon as a TCP connection to host:port succeeds. */
export function canConnect(port: number, host = '127.0.0.1', timeoutMs = 200): Promise<boolean> {
  return probe({ port, host }, timeoutMs);
}

/** Resolves true as soon as a connection to the Unix stream socket at `socketPath` succeeds. */
export function canConnectPath(socketPath: string, timeoutMs = 200): Promise<boolean> {
  return probe({ path: socketPath }, timeoutMs);
}

function probe(where: net.NetConnectOpts, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(where);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Listens on the port for `ms`, then lets go; resolves once released. Binding the
 * wildcard address conflicts with a target binding 127.0.0.1 or 0.0.0.0 alike.
 */
export function holdPort(port: number, ms: number): Promise<{ released: Promise<void> }> {
  return new Promise((resolve) => {
    const server = net.createServer((socket) => socket.destroy());
    server.once('error', () => resolve({ released: Promise.resolve() })); // already taken: nothing to hold
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => {
      // an object, not a bare promise: resolve() would otherwise wait for the release
      resolve({ released: new Promise<void>((done) => setTimeout(() => server.close(() => done()), ms)) });
    });
  });
}


/**
 * True when some UDP socket of this machine is bound to `port` (read from
 * /proc/net/udp and udp6): a datagram server cannot be probed by connecting, and a
 * probe datagram would be an input of its own. The port was free when the instance got
 * it, so whoever bound it since is, in practice, the target.
 */
export async function udpBound(port: number): Promise<boolean> {
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = await readFile(table, 'utf8');
    } catch {
      continue; // no IPv6 on this host
    }
    // `  sl  local_address rem_address ...`, local_address is HEXADDR:HEXPORT
    for (const line of text.split('\n').slice(1)) {
      const local = line.trim().split(/\s+/)[1];
      const hexPort = local?.slice(local.lastIndexOf(':') + 1);
      if (hexPort && parseInt(hexPort, 16) === port) return true;
    }
  }
  return false;
}
