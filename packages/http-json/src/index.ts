/**
 * Bounded JSON-over-HTTP plumbing for node:http servers, shared by Eddy's name server and admin front.
 *
 * - {@link readBody}: reads a request body of at most `limit` bytes; nothing past the limit is buffered.
 * - {@link answerClientError}: a `clientError` listener that answers malformed HTTP on the raw socket.
 *
 * It knows nothing of routes, error codes beyond `INVALID_ARGUMENT`, or reply shapes: each server
 * keeps its own.
 *
 * @packageDocumentation
 */
export { answerClientError } from './client-error.js';
export { type BodyResult, readBody } from './read-body.js';
