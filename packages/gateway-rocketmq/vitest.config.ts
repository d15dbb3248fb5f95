import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@eddy/gateway-rocketmq',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // End-to-end tests drive the real client over loopback; a generous bound, not a timing assertion.
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
