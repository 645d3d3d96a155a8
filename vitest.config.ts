import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/harness/global-setup.ts'],
    reporters: ['default', './tests/harness/summary-reporter.ts'],
    // One Postgres for the whole run; each test isolates itself (see tests/harness/db.ts).
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 180_000,
  },
});
