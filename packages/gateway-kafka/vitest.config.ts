import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@eddy/gateway-kafka', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
});
