/**
 * The server's error answers: every 4xx/5xx body is `{ "error": { "code", "message" } }` with one of these
 * stable codes (clients and tests assert the code, never the message). Thrown as ApiError inside a route;
 * the app turns it into the response. A request refused with any of them changed nothing in the store.
 */
export const API_ERRORS = {
  'bad-json': 400,
  'invalid-body': 400,
  'invalid-query': 400,
  'raw-secret': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'method-not-allowed': 405,
  'too-large': 413,
  'unsupported-media-type': 415,
  'rate-limited': 429,
  internal: 500,
  'store-unavailable': 503,
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends Error {
  readonly status: number;

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    /** Extra response headers as a flat [name, value, …] list (Allow, Retry-After, WWW-Authenticate). */
    readonly headers: readonly string[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = API_ERRORS[code];
  }
}

export const isApiError = (e: unknown): e is ApiError => e instanceof ApiError;
