import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@eddy/protocol-kafka', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
});
