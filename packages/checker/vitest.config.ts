import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@eddy/checker', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
});
