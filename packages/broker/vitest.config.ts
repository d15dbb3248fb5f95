import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@eddy/broker', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
});
