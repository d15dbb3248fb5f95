import { createHash } from 'node:crypto';

/**
 * The `body_digest` of a delivered message: MD5 in uppercase hex. Both official clients compute MD5
 * this way, and RocketMQ's proxy sends it; CRC32 would not do, since the Node client writes it in
 * decimal and the Java client in hex. The Node client fails a whole receive without a digest.
 */
export function md5Digest(body: Uint8Array): string {
  return createHash('md5').update(body).digest('hex').toUpperCase();
}
