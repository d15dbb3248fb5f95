import { describe, expect, it } from 'vitest';
import { createJsonLogger, silentLogger } from './logger.js';

describe('createJsonLogger', () => {
  it('writes one JSON line per call with level, component, message and details', () => {
    const lines: string[] = [];
    const logger = createJsonLogger('test-component', (line) => lines.push(line));
    logger.warn('disk nearly full', { free: 10 });
    logger.error('gone');
    expect(lines).toHaveLength(2);
    expect(lines.every((line) => line.endsWith('\n'))).toBe(true);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      level: 'warn',
      component: 'test-component',
      message: 'disk nearly full',
      free: 10,
    });
    expect(JSON.parse(lines[1] as string)).toMatchObject({ level: 'error', message: 'gone' });
  });

  it('has a silent logger that accepts every call', () => {
    expect(() => silentLogger.info('x', { a: 1 })).not.toThrow();
    expect(Object.isFrozen(silentLogger)).toBe(true);
  });
});
