import type { RequestHandler } from 'express';
import type { z } from 'zod';
import { badRequest } from '../errors.ts';

/**
 * Validates req.body against a schema and replaces it with the parsed value (unknown keys
 * stripped), or answers 400 naming every offending field.
 */
export function validateBody(schema: z.ZodType): RequestHandler {
  return (req, _res, next) => {
    const result = schema.safeParse(req.body);
    if (result.success) {
      req.body = result.data;
      next();
      return;
    }
    const errors = result.error.issues.map((issue) => ({
      field: issue.path.join('.') || '(body)',
      message: issue.message,
    }));
    next(badRequest('The request body is invalid.', errors));
  };
}
