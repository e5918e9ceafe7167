import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { ApiError } from './errors';

/** The bearer credential of a request, if any. */
export function bearerToken(req: Request): string | undefined {
  const header = req.get('authorization');
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

/** Constant-time comparison of two secrets. */
export function sameSecret(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right);
}

/** SHA-256 of a conversation token, as stored (the token itself is never stored). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Lets a request through only with `Authorization: Bearer <admin key>`. */
export function requireAdmin(adminKey: string): RequestHandler {
  return (req, _res, next) => {
    const token = bearerToken(req);
    if (!token) throw new ApiError('unauthorized', 'admin routes need Authorization: Bearer <admin key>');
    if (!sameSecret(token, adminKey)) throw new ApiError('forbidden', 'the admin key is not valid');
    next();
  };
}
