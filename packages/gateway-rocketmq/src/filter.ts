import type { WireFilterExpression } from './proto/wire-types.js';

/** An Eddy filter (`@eddy/consume`'s `FilterExpression`): a tag expression or an SQL92 condition. */
export interface EddyFilter {
  readonly type: 'TAG' | 'SQL92';
  readonly expression: string;
}

/**
 * The Eddy filter of a `FilterExpression`: `SQL` is SQL92; `TAG` and an unset type are tag expressions;
 * an empty expression means everything (`*`), as in RocketMQ.
 */
export function filterFromWire(wire: WireFilterExpression | undefined): EddyFilter {
  const expression = wire?.expression === undefined || wire.expression.trim() === '' ? '*' : wire.expression;
  if (wire?.type === 'SQL') return { type: 'SQL92', expression };
  return { type: 'TAG', expression };
}
