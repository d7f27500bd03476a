import type { SessionInput } from './session.js';

/**
 * AFL's deterministic dictionary stage, for message protocols. Random picks find a
 * command word among 1500 mined tokens only after thousands of tries; going through
 * them in order, best first, finds it within one pass:
 * 1. every token alone as a message (`TOKEN<eol>`: the command word of a text protocol);
 * 2. every token after each command word of the seeds (`CMD TOKEN<eol>`: a
 *    subcommand or an argument), for the best `secondWords` tokens.
 * Each step is a one-message session, cheap to deliver. (A TokenCursor gives each
 * token a second try, inside a corpus entry's session: a command may need state.)
 */
export class DictionarySweep {
  private step = 0;
  private readonly second: readonly string[];

  constructor(
    private readonly tokens: readonly string[],
    private readonly commands: readonly string[],
    private readonly eol: string,
    /** a frame header the seeds' messages share (see framePrefixOf) */
    private readonly prefix = '',
    secondWords = 512,
  ) {
    this.second = tokens.slice(0, secondWords);
  }

  /** how many steps the sweep has in all */
  get length(): number {
    return this.tokens.length + this.commands.length * this.second.length;
  }

  get done(): boolean {
    return this.step >= this.length;
  }

  /** still trying tokens alone (stage 1) */
  get inFirstStage(): boolean {
    return this.step < this.tokens.length;
  }

  /** The next session of the sweep, undefined once it went through everything. */
  next(): SessionInput | undefined {
    while (this.step < this.length) {
      const i = this.step++;
      if (i < this.tokens.length) return single(`${this.prefix}${this.tokens[i]}${this.eol}`);
      const j = i - this.tokens.length;
      const token = this.second[Math.floor(j / this.commands.length)]!;
      const command = this.commands[j % this.commands.length]!;
      if (token !== command) return single(`${this.prefix}${command} ${token}${this.eol}`);
    }
    return undefined;
  }
}

const single = (data: string): SessionInput => ({ messages: [{ conn: 0, data }] });

/** Every token once, best first: the tokens a mutation inserts as messages of their own into corpus entries. */
export class TokenCursor {
  private index = 0;

  constructor(private readonly tokens: readonly string[]) {}

  get done(): boolean {
    return this.index >= this.tokens.length;
  }

  next(): string | undefined {
    return this.tokens[this.index++];
  }
}
