import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@eddy/routing', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
});
