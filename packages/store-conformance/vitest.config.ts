import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@eddy/store-conformance', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
});
