/**
 * Exit codes mean something to scripts and CI:
 *   0  success
 *   1  verification found denials or behaviour changes (verify), or a diff (later)
 *   2  usage error: bad flags or arguments
 *   3  target error: missing command, target died at start, port never opened
 *   4  environment error: strace missing, ptrace forbidden, docker unavailable
 *   5  data error: malformed corpus, coverage or profile file
 *  130 interrupted (Ctrl-C); the corpus and outputs written so far are kept
 */
export const ExitCode = {
  ok: 0,
  findings: 1,
  usage: 2,
  target: 3,
  environment: 4,
  data: 5,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error meant for the user: printed as one line, never with a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

export const usageError = (msg: string, hint?: string) => new UserError(msg, ExitCode.usage, hint);
export const targetError = (msg: string, hint?: string) => new UserError(msg, ExitCode.target, hint);
export const environmentError = (msg: string, hint?: string) => new UserError(msg, ExitCode.environment, hint);
export const dataError = (msg: string, hint?: string) => new UserError(msg, ExitCode.data, hint);
