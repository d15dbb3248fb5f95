import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@eddy/cluster',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Builds apps/server (the processes the tests run) and this package (the orphan test runs its dist).
    globalSetup: ['test/global-setup.ts'],
    // Whole servers start as processes; two cores are shared.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
