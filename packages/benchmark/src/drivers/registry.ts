import { eddyKafkajsDriver } from './eddy-kafkajs.js';
import { eddyLibrdkafkaDriver } from './eddy-librdkafka.js';
import { eddyRocketmqDriver } from './eddy-rocketmq.js';
import { natsDriver } from './nats-jetstream.js';
import { rabbitmqDriver } from './rabbitmq-streams.js';
import { redisDriver } from './redis-streams.js';
import type { SystemDriver, SystemName } from './system-driver.js';

/** Every driver, by system name, in the order reports list them (Eddy first). */
export const DRIVERS: Readonly<Record<SystemName, SystemDriver>> = {
  'eddy-kafka': eddyLibrdkafkaDriver,
  'eddy-kafkajs': eddyKafkajsDriver,
  'eddy-rocketmq': eddyRocketmqDriver,
  nats: natsDriver,
  redis: redisDriver,
  rabbitmq: rabbitmqDriver,
};
