import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'guards/**/*.test.ts', 'providers/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Every process a test starts is gone when its file ends, and when the run ends (test/helpers/child-processes.ts).
    setupFiles: ['test/setup/kill-children.ts'],
    globalSetup: ['test/setup/global-teardown.ts'],
  },
});
