import type { Command } from 'commander';
import { writeRunReport } from '../report/write-report.js';

/** `seccomplete report OUT`: (re)writes OUT/report.html from what fuzz or replay left in OUT. */
export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('write report.html (discovery curves, saturation, strategies, comparison with Docker\'s default, provenance) from a fuzz or replay --out directory')
    .argument('<out>', 'the --out directory of a fuzz or replay run')
    .option('-o, --output <file>', 'where to write the page (default: <out>/report.html)')
    .option('--json', 'print what was written as JSON')
    .addHelpText('after', '\nThe page is self-contained (inline CSS and SVG, no scripts, no network).\n\nExit codes: 0 written, 2 usage, 5 missing or corrupt coverage.json.')
    .action(async (out: string, opts: { output?: string; json?: boolean }) => {
      const file = await writeRunReport(out, opts.output ? { output: opts.output } : {});
      if (opts.json) process.stdout.write(`${JSON.stringify({ report: file }, null, 2)}\n`);
      else process.stdout.write(`report -> ${file}\n`);
    });
}
