import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: '@eddy/testkit', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] } });
