import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@eddy/harness',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Real broker processes and clients on a shared, possibly loaded machine.
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
