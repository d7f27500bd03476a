/**
 * Preloaded into the seccomplete process the bench starts
 * (`node --import <this file> bin/seccomplete.js ...`): when that process exits it
 * writes its own peak resident set size (getrusage ru_maxrss, the same figure as
 * VmHWM in /proc/<pid>/status) to the file named by SECCOMPLETE_BENCH_RSS_FILE.
 * Targets do not load it (they are started without --import).
 */
import { writeFileSync } from 'node:fs';

const file = process.env.SECCOMPLETE_BENCH_RSS_FILE;
if (file) {
  // Only this process: the targets it starts inherit the variable, not the preload.
  delete process.env.SECCOMPLETE_BENCH_RSS_FILE;
  process.on('exit', () => {
    try {
      writeFileSync(file, JSON.stringify({ pid: process.pid, maxRssKb: process.resourceUsage().maxRSS }));
    } catch {
      // the bench reports the missing file
    }
  });
}
