import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@eddy/name-server',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
  },
});
