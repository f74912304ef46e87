// Reading a POST body into plain fields, the same way for JSON and multipart/form-data (which the
// official client always sends). Multipart keys like `input_reference[image_url]` (how the client
// encodes nested objects) become nested objects, so one zod schema checks both encodings.
import type { Context } from 'hono';
import { ApiError, invalidRequest, payloadTooLarge } from './errors.ts';

export type Fields = Record<string, unknown>;

const NESTED_KEY = /^([A-Za-z_][A-Za-z0-9_]*)\[([A-Za-z_][A-Za-z0-9_]*)\]$/;
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

async function readJson(c: Context, maxBytes: number): Promise<Fields> {
  const text = await c.req.text();
  if (Buffer.byteLength(text) > maxBytes) throw payloadTooLarge(`JSON body is larger than ${maxBytes} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalidRequest(`malformed JSON body: ${(err as Error).message}`, null, 'invalid_json');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidRequest('the JSON body must be an object', null, 'invalid_json');
  }
  return value as Fields;
}

async function readMultipart(c: Context): Promise<Fields> {
  let form: FormData;
  try {
    form = await c.req.raw.formData();
  } catch (err) {
    throw invalidRequest(`malformed multipart body: ${(err as Error).message}`, null, 'invalid_multipart');
  }
  const entries: [string, string | File][] = [];
  form.forEach((value, name) => {
    entries.push([name, value]);
  });
  // Maps, then Object.fromEntries: a field named "__proto__" stays a plain own property and can
  // never reach Object.prototype (the fuzz test found that one).
  const fields = new Map<string, string | File | Map<string, string | File>>();
  for (const [name, value] of entries) {
    const nested = NESTED_KEY.exec(name);
    if (!nested && !PLAIN_KEY.test(name))
      throw invalidRequest(`unexpected form field "${name}"`, name, 'unknown_parameter');
    const [outer, inner] = nested ? [nested[1]!, nested[2]!] : [name, undefined];
    const existing = fields.get(outer);
    if (inner === undefined) {
      if (existing !== undefined) throw invalidRequest(`form field "${name}" appears twice`, name);
      fields.set(outer, value);
      continue;
    }
    if (existing !== undefined && !(existing instanceof Map)) {
      throw invalidRequest(`form field "${outer}" is both a value and an object`, outer);
    }
    const object = existing ?? new Map<string, string | File>();
    if (object.has(inner)) throw invalidRequest(`form field "${name}" appears twice`, name);
    object.set(inner, value);
    fields.set(outer, object);
  }
  return Object.fromEntries([...fields].map(([k, v]) => [k, v instanceof Map ? Object.fromEntries(v) : v]));
}

/** The body as fields; 415 for other content types, 400 when it does not parse. */
export async function readFields(c: Context, maxJsonBytes: number): Promise<Fields> {
  const type = (c.req.header('content-type') ?? '').toLowerCase();
  if (type.startsWith('application/json')) return readJson(c, maxJsonBytes);
  if (type.startsWith('multipart/form-data')) return readMultipart(c);
  if (type.startsWith('application/x-www-form-urlencoded')) return readMultipart(c);
  throw new ApiError(
    415,
    'send the body as application/json or multipart/form-data',
    'invalid_request_error',
    'unsupported_media_type',
  );
}
