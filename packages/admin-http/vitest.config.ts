import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@eddy/admin-http', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
});
