import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@eddy/store-lmdb', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
});
