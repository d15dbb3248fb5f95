import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@eddy/server',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Builds dist/main.js, which test/launch.ts runs in child processes.
    globalSetup: ['test/global-setup.ts'],
    // Each test starts whole servers as processes; two cores are shared.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
