import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@eddy/consume', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
});
