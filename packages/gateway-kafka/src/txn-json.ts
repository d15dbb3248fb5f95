const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A JSON value as metadata bytes (the gateway's own copy: it does not depend on `@eddy/store`). */
export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Metadata bytes back to a JSON value; validate the result before trusting its shape. */
export function decodeJson(bytes: Uint8Array): unknown {
  return JSON.parse(decoder.decode(bytes));
}
