import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@eddy/http-json', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
});
