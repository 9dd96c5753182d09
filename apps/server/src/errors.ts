/**
 * The one error model. Services throw AppError with a stable code; the HTTP layer
 * turns it into `{ error, message, details, requestId }`. Anything else is a plain 500.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (code: string, message: string, details?: unknown) => new AppError(400, code, message, details);
export const unauthorized = (message = '请先登录 / Please log in') => new AppError(401, 'unauthenticated', message);
export const forbidden = (message = '没有权限 / You do not have permission for this') => new AppError(403, 'forbidden', message);
export const notFound = (code: string, message: string, details?: unknown) => new AppError(404, code, message, details);
export const conflict = (code: string, message: string, details?: unknown) => new AppError(409, code, message, details);
export const unprocessable = (code: string, message: string, details?: unknown) => new AppError(422, code, message, details);
