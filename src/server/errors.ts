// API errors in OpenAI's shape, `{error: {message, type, param, code}}`, with the status codes the
// official client maps to its typed errors (400 BadRequestError, 401 AuthenticationError, 404
// NotFoundError, 409 ConflictError, 413, 415, 422, 429 RateLimitError, 500 InternalServerError).
export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'not_found_error'
  | 'conflict_error'
  | 'rate_limit_error'
  | 'server_error';

export interface ErrorBody {
  error: { message: string; type: ErrorType; param: string | null; code: string | null };
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 422 | 429 | 500 | 503,
    message: string,
    readonly type: ErrorType,
    readonly code: string | null = null,
    readonly param: string | null = null,
    /** Extra response headers (retry-after on 429, x-should-retry on 409). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): ErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export const invalidRequest = (message: string, param: string | null = null, code = 'invalid_value') =>
  new ApiError(400, message, 'invalid_request_error', code, param);

export const notFound = (what: string) =>
  new ApiError(404, `${what} not found`, 'not_found_error', 'not_found');

export const payloadTooLarge = (message: string, param: string | null = null) =>
  new ApiError(413, message, 'invalid_request_error', 'payload_too_large', param);
