import { describeMessageStore } from '@eddy/store-conformance';
import { openMemoryStore } from '../src/index.js';

describeMessageStore('memory', { open: ({ clock }) => openMemoryStore({ clock }), durable: false });
