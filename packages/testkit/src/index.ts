/**
 * What Eddy's tests need and should not write twice: temporary directories, free loopback ports and a
 * fake clock. A development dependency only; no published package depends on it at run time.
 *
 * @packageDocumentation
 */
export { FakeClock } from './fake-clock.js';
export { freePort, freePorts } from './free-port.js';
export { makeTempDir, type TempDir } from './temp-dir.js';
