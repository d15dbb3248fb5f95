/**
 * Orders strings by UTF-16 code units, not by locale: every process must sort route data, queues and
 * client ids identically, whatever its locale.
 *
 * @internal
 */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
