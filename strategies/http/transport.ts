import net from 'node:net';
import tls from 'node:tls';
import type { Endpoint } from '../../src/strategy.js';

/**
 * Opening a connection to an endpoint: plain TCP, or TLS (any certificate accepted: a
 * fuzzed server's certificate is self-signed) where the server may pick HTTP/2 by ALPN.
 */

export interface Connection {
  /** what requests are spoken over: a TCP socket, or a TLS socket */
  socket: net.Socket;
  /** spoken over TLS: such a connection is destroyed, never reset (see H1Connection.reset) */
  tls: boolean;
  /** the server chose HTTP/2 during the TLS handshake */
  h2: boolean;
}

/** The endpoint could not be talked to at all: refused, or the TLS handshake failed. */
export class ConnectFailure extends Error {
  constructor(
    /** the signature token: `refused` or `tls-failed` */
    readonly token: 'refused' | 'tls-failed',
    message: string,
  ) {
    super(message);
  }
}

export interface ConnectOptions {
  /** offer `h2` before `http/1.1` (only requests the structured model holds can go over HTTP/2) */
  offerH2: boolean;
  /** told of each socket as soon as it exists, so that a deadline can destroy it while it connects */
  track(socket: net.Socket): void;
}

/**
 * One client context for every TLS connection: without it each connection builds its own
 * (with the CA store, unused since any certificate is accepted), which at hundreds of
 * connections a second was most of seccomplete's CPU and memory.
 */
let clientContext: tls.SecureContext | undefined;

/** Resolves once the connection can carry requests: connected, and for TLS the handshake done. */
export function openConnection(endpoint: Endpoint, options: ConnectOptions): Promise<Connection> {
  const where = `${endpoint.host}:${endpoint.port}`;
  return new Promise((resolve, reject) => {
    let connected = false;
    // TLS opens its own TCP connection: wrapping an already connected net.Socket crashed
    // Node 20 in SSL_read (SIGSEGV) when the server answered as the socket was destroyed.
    const socket = endpoint.tls
      ? tls.connect({
          host: endpoint.host,
          port: endpoint.port,
          rejectUnauthorized: false,
          secureContext: (clientContext ??= tls.createSecureContext()),
          ALPNProtocols: options.offerH2 ? ['h2', 'http/1.1'] : ['http/1.1'],
          // SNI takes a name, never an address (node warns about an IP)
          ...(net.isIP(endpoint.host) === 0 ? { servername: endpoint.host } : {}),
        })
      : net.connect({ host: endpoint.host, port: endpoint.port });
    options.track(socket);
    const failed = (err: Error) => {
      socket.destroy();
      if (!connected) reject(new ConnectFailure('refused', `cannot connect to ${where}: ${err.message}`));
      else reject(new ConnectFailure('tls-failed', `TLS handshake with ${where} failed: ${err.message}`));
    };
    const ready = (h2: boolean) => {
      socket.off('error', failed);
      // whoever uses the socket listens for its errors; none may go unhandled meanwhile
      socket.on('error', () => {});
      resolve({ socket, tls: endpoint.tls === true, h2 });
    };
    socket.once('error', failed);
    socket.once('connect', () => {
      connected = true;
      socket.setNoDelay(true);
      if (!endpoint.tls) ready(false);
    });
    if (endpoint.tls) socket.once('secureConnect', () => ready((socket as tls.TLSSocket).alpnProtocol === 'h2'));
  });
}

/**
 * An RST instead of a FIN, when the socket can still send one. Once either side shut down
 * (the server's FIN makes Node end ours), libuv refuses the reset with EINVAL and Node 20
 * then never closes the handle: the process spins at exit waiting for it. Such a socket
 * is destroyed plainly.
 */
export function resetSocket(tcp: net.Socket): void {
  if (tcp.destroyed) return;
  if (tcp.readyState === 'open' && !tcp.writableEnded && !tcp.readableEnded) tcp.resetAndDestroy();
  else tcp.destroy();
}
