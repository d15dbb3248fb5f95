/**
 * `eddy-kafka` (`dist/main.js`): a broker that speaks only Kafka, with Kafka's defaults (port 9092,
 * 1 partition per auto-created topic, 1 MiB batches), over a storage engine chosen by name.
 *
 * This module exports the configuration and the composition for embedding and tests; `main.js`
 * parses argv and handles signals.
 *
 * @packageDocumentation
 */
export { type KafkaServerConfig, KafkaServerConfigSchema, loadKafkaServerConfig } from './config.js';
export { type RunningKafkaServer, startKafkaServer } from './server.js';
