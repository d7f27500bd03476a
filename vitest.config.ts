import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real targets under a real tracer; they are slow by nature.
    testTimeout: 120_000,
    hookTimeout: 240_000,
    // Two cores: two test files at a time, each starting its own targets.
    maxWorkers: 2,
    // The JSON report feeds the plain "N passed, N failed" line CI reads (scripts/test-summary.mjs).
    reporters: ['default', ['json', { outputFile: '.vitest/results.json' }]],
  },
});
