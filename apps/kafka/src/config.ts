import { parseArgs } from 'node:util';
import { EddyError } from '@eddy/message';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((text) => text === 'true')]);

/**
 * Settings of `eddy-kafka`, Kafka's defaults where Kafka has one (`numPartitions` is `num.partitions`,
 * `messageMaxBytes` is `message.max.bytes`, …). Each key is a flag (`dataDir` → `--data-dir`) and an
 * environment variable (`EDDY_KAFKA_DATA_DIR`); flags win.
 */
export const KafkaServerConfigSchema = z
  .object({
    dataDir: z.string().min(1).default('./data-kafka'),
    host: z.string().min(1).default('127.0.0.1'),
    advertisedHost: z.string().min(1).optional(),
    port: port.default(9092),
    store: z.enum(['commitlog', 'lmdb', 'memory']).default('commitlog'),
    flush: z.enum(['async', 'sync']).default('async'),
    autoCreateTopics: bool.default(true),
    numPartitions: z.coerce.number().int().min(1).max(1024).default(1),
    messageMaxBytes: z.coerce
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024),
    clusterId: z.string().min(1).default('eddy-kafka'),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  })
  .strict();

/** A parsed `eddy-kafka` configuration. */
export type KafkaServerConfig = z.output<typeof KafkaServerConfigSchema>;

const kebab = (key: string): string => key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
const snake = (key: string): string => key.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase();

/**
 * Reads flags over `EDDY_KAFKA_*` environment variables over defaults.
 *
 * @returns undefined when `--help` was asked for.
 * @throws EddyError `INVALID_CONFIG` naming the field.
 */
export function loadKafkaServerConfig(argv: readonly string[], env: NodeJS.ProcessEnv): KafkaServerConfig | undefined {
  const keys = Object.keys(KafkaServerConfigSchema.shape);
  let flags: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(keys.map((key) => [kebab(key), { type: 'string' as const }]));
    const help = { type: 'boolean', short: 'h' } as const;
    flags = parseArgs({ args: [...argv], strict: true, options: { ...options, help } }).values;
  } catch (error) {
    throw new EddyError('INVALID_CONFIG', `invalid config: ${(error as Error).message}`);
  }
  if (flags.help === true) return undefined;
  const input: Record<string, unknown> = {};
  for (const key of keys) {
    const value = flags[kebab(key)] ?? env[`EDDY_KAFKA_${snake(key)}`];
    if (value !== undefined) input[key] = value;
  }
  const result = KafkaServerConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `--${kebab(String(issue.path[0] ?? ''))}: ${issue.message}`);
  throw new EddyError('INVALID_CONFIG', `invalid config: ${problems.join('; ')}`);
}
