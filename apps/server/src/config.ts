import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BrokerConfigSchema } from '@eddy/broker';
import { EddyError } from '@eddy/message';
import { HostPortSchema, NameServerOptionsSchema } from '@eddy/name-server';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);
const logLevel = z.enum(['debug', 'info', 'warn', 'error']).default('info');
// Flags and env give `a:1,b:2`; a config file may give that or a list.
const hostPortList = z.preprocess(
  (value) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean)
      : value,
  z.array(HostPortSchema),
);

/**
 * Settings of `eddy start`: the app's own, then the broker's (`BrokerConfigSchema` of `@eddy/broker`,
 * whose `nameServers` is set from `namesrv`). Each key is also a flag (`grpcPort` → `--grpc-port`), an
 * environment variable (`EDDY_GRPC_PORT`) and a config file field.
 */
export const ServerConfigSchema = z
  .object({
    /** Where the store keeps its files. */
    dataDir: z.string().min(1).default('./data'),
    /** Interface every listener binds. */
    host: z.string().min(1).default('127.0.0.1'),
    /** Host clients are told to connect to (routes, registration); default `host`, or 127.0.0.1 for a wildcard `host`. */
    advertisedHost: z.string().min(1).optional(),
    /** RocketMQ 5 gRPC port. */
    grpcPort: port.default(8081),
    /** Health, metrics and admin HTTP port. */
    httpPort: port.default(8080),
    /** Kafka wire-protocol port. */
    kafkaPort: port.default(9092),
    /** Storage engine, loaded by name only when chosen. */
    store: z.enum(['commitlog', 'lmdb', 'memory']).default('commitlog'),
    /** `async`: acknowledged once written to the OS; `sync`: once fdatasync'd (disk engines). */
    flush: z.enum(['async', 'sync']).default('async'),
    /** How often the disk engines sync (async mode) and checkpoint, ms. */
    flushIntervalMs: z.number().int().min(1).max(3_600_000).default(500),
    /** Name servers to register with; none means an embedded one on 127.0.0.1:`namesrvPort`. */
    namesrv: hostPortList.default([]),
    /** Port of the embedded name server. */
    namesrvPort: port.default(9876),
    /** How often the broker registers with each name server, ms (RocketMQ `registerNameServerPeriod`). */
    registerIntervalMs: z.number().int().min(100).max(3_600_000).default(30_000),
    logLevel,
    ...BrokerConfigSchema.omit({ nameServers: true }).shape,
  })
  .strict()
  .superRefine((config, context) => {
    // Caught here rather than as EADDRINUSE half-way through the start.
    const ports: ('grpcPort' | 'httpPort' | 'kafkaPort' | 'namesrvPort')[] = ['grpcPort', 'httpPort', 'kafkaPort'];
    if (config.namesrv.length === 0) ports.push('namesrvPort');
    for (const [index, key] of ports.entries()) {
      const other = ports.slice(0, index).find((earlier) => config[earlier] === config[key] && config[key] !== 0);
      if (other !== undefined)
        context.addIssue({ code: 'custom', path: [key], message: `is the same port as ${other}` });
    }
  });

/** Settings of `eddy namesrv` (env `EDDY_NAMESRV_*`); see `NameServerOptionsSchema` of `@eddy/name-server`. */
export const NameServerConfigSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: port.default(9876),
    brokerExpiryMs: NameServerOptionsSchema.shape.brokerExpiryMs,
    scanIntervalMs: NameServerOptionsSchema.shape.scanIntervalMs,
    maxRequestBytes: NameServerOptionsSchema.shape.maxRequestBytes,
    logLevel,
  })
  .strict();

/** A parsed `eddy start` configuration. */
export type ServerConfig = z.output<typeof ServerConfigSchema>;
/** A parsed `eddy namesrv` configuration. */
export type NameServerConfig = z.output<typeof NameServerConfigSchema>;

const kebab = (key: string): string => key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
const snake = (key: string): string => key.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase();

// What a field holds under its default/optional wrappers, so that text from flags and env can become it.
function kindOf(field: z.ZodType): string {
  let def = field._zod.def as { type: string; innerType?: z.ZodType };
  while (def.innerType !== undefined) def = def.innerType._zod.def as typeof def;
  return def.type;
}

// Text that does not look like the field's kind stays text, so the schema's message names the field.
function fromText(field: z.ZodType, text: string): unknown {
  const kind = kindOf(field);
  if (kind === 'number' && /^-?\d+(\.\d+)?$/.test(text.trim())) return Number(text);
  if (kind === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

function readConfigFile(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    parsed = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new EddyError('INVALID_CONFIG', `invalid config: cannot read ${path}: ${(error as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new EddyError('INVALID_CONFIG', `invalid config: ${path} must hold a mapping of settings`);
  }
  return parsed as Record<string, unknown>;
}

/** A command's configuration, or the request for its usage. */
export type Loaded<T> = { readonly help: true } | { readonly help: false; readonly config: T };

/**
 * Reads a command's settings with precedence flags > env (`<envPrefix><SNAKE_KEY>`) > config file
 * (`--config FILE` or `<envPrefix>CONFIG`, JSON or YAML) > defaults, and validates them with `schema` in one go.
 *
 * @throws EddyError `INVALID_CONFIG` whose message names the field and where its value came from.
 */
export function loadConfig<Schema extends z.ZodObject>(
  schema: Schema,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  envPrefix: string,
): Loaded<z.output<Schema>> {
  const fields = schema.shape as Record<string, z.ZodType>;
  let flags: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(Object.keys(fields).map((key) => [kebab(key), { type: 'string' as const }]));
    flags = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: { ...options, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }).values;
  } catch (error) {
    throw new EddyError('INVALID_CONFIG', `invalid config: ${(error as Error).message}`);
  }
  if (flags.help === true) return { help: true };

  const file = (flags.config as string | undefined) ?? env[`${envPrefix}CONFIG`];
  const input: Record<string, unknown> = file === undefined ? {} : readConfigFile(file);
  const origin = new Map<string, string>(Object.keys(input).map((key) => [key, `config file ${file}`]));
  for (const [key, field] of Object.entries(fields)) {
    const fromEnv = env[`${envPrefix}${snake(key)}`];
    const fromFlag = flags[kebab(key)] as string | undefined;
    if (fromEnv !== undefined) {
      input[key] = fromText(field, fromEnv);
      origin.set(key, `env ${envPrefix}${snake(key)}`);
    }
    if (fromFlag !== undefined) {
      input[key] = fromText(field, fromFlag);
      origin.set(key, `--${kebab(key)}`);
    }
  }

  const result = schema.safeParse(input);
  if (result.success) return { help: false, config: result.data };
  const problems = result.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '');
    const from = issue.code === 'unrecognized_keys' ? `config file ${file}` : origin.get(key);
    const path = issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
    return `${path}${issue.message}${from === undefined ? '' : ` (from ${from})`}`;
  });
  throw new EddyError('INVALID_CONFIG', `invalid config: ${problems.join('; ')}`);
}
