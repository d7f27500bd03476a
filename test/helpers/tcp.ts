import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { MAX_CONNS, MAX_PAUSE_MS, SESSION_MODES, validateSession, type SessionInput } from '../../strategies/tcp/session.js';

/** Debian's memcached, the text-protocol target of the tcp/udp strategy tests. */
export const MEMCACHED = '/usr/bin/memcached';
export const inCI = Boolean(process.env.CI);
export const memcachedMissing = existsSync(MEMCACHED) ? undefined : `${MEMCACHED} not found (install Debian's memcached: apt-get install memcached)`;

const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');
/** any bytes, as a latin1 string (one char per byte) */
export const byteString = (o: { minLength?: number; maxLength?: number } = {}) =>
  fc.uint8Array({ minLength: o.minLength ?? 0, maxLength: o.maxLength ?? 64 }).map(latin1);

/** Any session the model allows (short messages: the properties are about bytes and structure, not sizes). */
export const sessionArb: fc.Arbitrary<SessionInput> = fc
  .record({
    messages: fc.array(
      fc.record({ conn: fc.integer({ min: 0, max: MAX_CONNS - 1 }), data: byteString({ minLength: 1 }), pauseMs: fc.integer({ min: 0, max: MAX_PAUSE_MS }) }),
      { minLength: 1, maxLength: 8 },
    ),
    mode: fc.constantFrom(...SESSION_MODES),
    endpoint: fc.integer({ min: 0, max: 63 }),
  })
  .map(({ messages, mode, endpoint }) => validateSession({ messages: messages.map((m) => (m.pauseMs === 0 ? { conn: m.conn, data: m.data } : m)), mode, endpoint }));
