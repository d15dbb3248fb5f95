import { KafkaErrorCode, KafkaProtocolError } from './errors.js';

/**
 * Throws `UNSUPPORTED_VERSION` unless `from ≤ version ≤ to` (the versions a codec implements, which may be
 * narrower than the advertised range).
 */
export function checkVersion(name: string, version: number, from: number, to: number): void {
  if (!Number.isInteger(version) || version < from || version > to) {
    throw new KafkaProtocolError(
      KafkaErrorCode.UNSUPPORTED_VERSION,
      `${name} v${version} is not implemented; versions ${from}–${to} are`,
      { details: { api: name, version, from, to } },
    );
  }
}
