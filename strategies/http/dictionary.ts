/**
 * The paths generated inputs draw from: the seeds' paths, which stay, plus paths learned
 * from responses, bounded and least-recently-seen first out. A path a page keeps linking
 * to is seen again and again and so survives a flood of one-off ones (say, upload names).
 */
export class PathDictionary {
  private readonly pinned: string[] = [];
  /** a Map iterates in insertion order, so re-inserting a path marks it most recent */
  private readonly learned = new Map<string, true>();
  private snapshot: readonly string[] | undefined;

  constructor(
    seedPaths: Iterable<string>,
    private readonly maxLearned = 512,
  ) {
    for (const path of seedPaths) if (!this.pinned.includes(path)) this.pinned.push(path);
  }

  /** Records paths seen in a response; returns those that were new. */
  learn(paths: Iterable<string>): string[] {
    const fresh: string[] = [];
    for (const path of paths) {
      if (this.pinned.includes(path)) continue;
      if (!this.learned.delete(path)) fresh.push(path);
      this.learned.set(path, true);
      this.snapshot = undefined;
      if (this.learned.size > this.maxLearned) this.learned.delete(this.learned.keys().next().value!);
    }
    return fresh;
  }

  has(path: string): boolean {
    return this.pinned.includes(path) || this.learned.has(path);
  }

  /** Seeds first, then learned paths from least to most recently seen. */
  paths(): readonly string[] {
    this.snapshot ??= Object.freeze([...this.pinned, ...this.learned.keys()]);
    return this.snapshot;
  }
}
