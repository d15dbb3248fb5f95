/**
 * The message model of Eddy, the layer every other package stands on.
 *
 * - {@link Message} and {@link StoredMessage}: RocketMQ's model (one topic, one tag, keys, user
 *   properties) with the broker-assigned queue position.
 * - {@link MessageIdGenerator}: time-ordered, globally unique ids, cheap to make.
 * - {@link validateName}, {@link validateMessage}, {@link MessageLimits}: one set of rules for both protocols.
 * - The stored-record codec ({@link encodeRecordInto}, {@link decodeRecord}) with CRC32C, used by the disk engines.
 * - {@link EddyError}: the one error type, with string codes.
 * - {@link Clock}: injected time.
 * - zod schemas for every shape that arrives from outside.
 *
 * It does no I/O and keeps no global state (the default id generator is made on first use).
 *
 * @packageDocumentation
 */
export { type Clock, type ScheduledTask, systemClock } from './clock.js';
export { crc32c, crc32cCombine, crc32cOfRange } from './crc32c.js';
export { EDDY_ERROR_CODES, EddyError, type EddyErrorCode } from './errors.js';
export { DEFAULT_MESSAGE_LIMITS, type MessageLimits, validateMessage } from './limits.js';
export { createJsonLogger, type Logger, silentLogger } from './logger.js';
export {
  createMessage,
  type Message,
  type MessageInit,
  messageFieldsOf,
  type StoredMessage,
  type TransactionPhase,
} from './message.js';
export {
  defaultMessageIdGenerator,
  MessageIdGenerator,
  messageIdIndexIn,
  messageIdPlus,
  messageIdTimestamp,
} from './message-id.js';
export {
  DLQ_TOPIC_PREFIX,
  deadLetterTopicOf,
  isSystemName,
  MAX_NAME_LENGTH,
  MAX_SYSTEM_NAME_LENGTH,
  type NameKind,
  RETRY_TOPIC_PREFIX,
  retryTopicOf,
  SystemTopic,
  validateGroupName,
  validateName,
  validateTopicName,
} from './names.js';
export {
  decodeRecord,
  encodedRecordSize,
  encodeRecord,
  encodeRecordInto,
  MIN_RECORD_SIZE,
  RECORD_HEADER_SIZE,
  RECORD_MAGIC,
  RECORD_VERSION,
  type RecordDecodeResult,
  type RecordFault,
  type RecordFields,
  type RecordHeaderResult,
  readRecordHeader,
} from './record-codec.js';
export {
  GroupNameSchema,
  MessageJsonSchema,
  MessageLimitsSchema,
  parseWithSchema,
  QueueAddressSchema,
  QueueCountSchema,
  TopicConfigSchema,
  TopicNameSchema,
} from './schemas.js';
export { RESERVED_PROPERTY_NAMES, SystemProperty, type SystemPropertyName } from './system-property.js';
export { tagCode } from './tag.js';
export {
  DEFAULT_PERMISSION,
  Permission,
  TOPIC_MESSAGE_TYPES,
  type TopicConfig,
  type TopicMessageType,
} from './topic-config.js';
export { RecordFieldCache } from './utf8-fields.js';
