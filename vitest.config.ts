import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real targets under a real tracer; they are slow by nature.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Integration files each start servers and tracers; two cores, so keep file parallelism low.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
