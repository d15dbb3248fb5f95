import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: '@eddy/message', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] } });
