/**
 * The librdkafka client, run by `python3` with confluent_kafka, one process per producer or consumer.
 * It stops when its stdin closes (so it never outlives the runner) and reports on stdout, every 100 ms:
 * `s <acknowledged> <failed> <first error>` (producer, totals), `r <messages> <bytes>` (consumer, totals)
 * and `l <µs> <µs> …` (end-to-end latencies since the last line). Payloads carry the send time in their
 * first 8 bytes (µs since the epoch, big-endian double), as the Node clients write it.
 */
export const PYTHON_KAFKA_CLIENT = String.raw`
import json, struct, sys, threading, time
from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING

stopping = threading.Event()
def watch_stdin():
    sys.stdin.read()
    stopping.set()
threading.Thread(target=watch_stdin, daemon=True).start()

def emit(line):
    sys.stdout.write(line + '\n')
    sys.stdout.flush()

mode, bootstrap, topic = sys.argv[1], sys.argv[2], sys.argv[3]
if mode == 'produce':
    size, rate, linger = int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
    producer = Producer({'bootstrap.servers': bootstrap, 'acks': 'all', 'linger.ms': linger,
                         'batch.num.messages': 10000, 'batch.size': 1000000,
                         'queue.buffering.max.messages': 1000000, 'queue.buffering.max.kbytes': 1048576,
                         'enable.idempotence': False, 'compression.type': 'none', 'message.timeout.ms': 30000})
    producer.list_topics(topic, timeout=10)
    tail = b'x' * (size - 8)
    state = {'ok': 0, 'err': 0, 'first': ''}
    def delivered(err, msg):
        if err is None:
            state['ok'] += 1
        else:
            state['err'] += 1
            if not state['first']: state['first'] = str(err).replace('\n', ' ')
    emit('started')
    start = time.perf_counter()
    issued, last = 0, start
    pack = struct.Struct('>d').pack
    while not stopping.is_set():
        now = time.perf_counter()
        if rate > 0:
            count = min(int((now - start) * rate) - issued, 10000)
            if count <= 0:
                producer.poll(min(0.001, max(0.0, (issued + 1) / rate - (now - start))))
        else:
            count = 1000
        for _ in range(max(0, count)):
            value = pack(time.time() * 1e6) + tail
            while True:
                try:
                    producer.produce(topic, value, on_delivery=delivered)
                    break
                except BufferError:
                    producer.poll(0.002)
        issued += max(0, count)
        producer.poll(0)
        if now - last >= 0.1:
            emit('s %d %d %s' % (state['ok'], state['err'], state['first']))
            last = now
    producer.flush(10)
    emit('s %d %d %s' % (state['ok'], state['err'], state['first']))
else:
    group, partitions, latency = sys.argv[4], [int(p) for p in sys.argv[5].split(',')], sys.argv[6] == '1'
    consumer = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'enable.auto.commit': False,
                         'fetch.max.bytes': 52428800, 'max.partition.fetch.bytes': 10485760,
                         'fetch.wait.max.ms': 100, 'queued.max.messages.kbytes': 262144,
                         'enable.partition.eof': False})
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    emit('started')
    got, size, last, latencies = 0, 0, time.perf_counter(), []
    unpack = struct.Struct('>d').unpack_from
    while not stopping.is_set():
        # consume(n, timeout) waits for n messages or the timeout: poll() returns with the first one, then
        # consume(n, 0) takes what else is there, so a message waits for no batch to fill.
        first = consumer.poll(0.05)
        if first is None:
            batch = []
        else:
            batch = [first] + consumer.consume(10000, 0)
        received_at = time.time() * 1e6
        for message in batch:
            if message.error() is None:
                value = message.value()
                got += 1
                size += len(value)
                if latency: latencies.append(received_at - unpack(value)[0])
        now = time.perf_counter()
        if now - last >= 0.1:
            emit('r %d %d' % (got, size))
            if latencies:
                emit('l ' + ' '.join('%.0f' % value for value in latencies))
                latencies = []
            last = now
    emit('r %d %d' % (got, size))
    consumer.close()
`;
