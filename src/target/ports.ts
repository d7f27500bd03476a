import net from 'node:net';

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
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
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
