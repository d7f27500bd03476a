import { secondaryFeature } from '../../src/coverage/features.js';

/**
 * Secondary features of a session (AFLNet's response codes): the first token of the
 * reply to each message (`@reply:STORED`, `@reply:CLIENT_ERROR`, `@reply:VALUE`), no reply
 * at all (`@reply:none`), the server closing or resetting the connection
 * (`@reply:close`, `@reply:reset`). They keep an input that drove the server into a new
 * state in the corpus although it made no new syscall.
 */

/** How the server answered one message, as deliveries record it. */
export type MessageReply = { token: string } | { none: true } | { ended: 'close' | 'reset' };

/**
 * Distinct reply tokens a strategy reports before the rest become `@reply:other`: a
 * server that echoes its input would otherwise make every fuzzed word a new state, and
 * the search would never become stable.
 */
export const MAX_REPLY_FEATURES = 64;

export class ReplyFeatures {
  private readonly known = new Set<string>();

  constructor(private readonly limit = MAX_REPLY_FEATURES) {}

  of(replies: readonly MessageReply[]): string[] {
    const features = new Set<string>();
    for (const reply of replies) {
      const value = 'token' in reply ? this.admit(reply.token) : 'none' in reply ? 'none' : reply.ended;
      features.add(secondaryFeature('reply', value));
    }
    return [...features].sort();
  }

  private admit(token: string): string {
    if (this.known.has(token)) return token;
    if (this.known.size >= this.limit) return 'other';
    this.known.add(token);
    return token;
  }
}
