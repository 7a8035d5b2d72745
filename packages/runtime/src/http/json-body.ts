import express, { type RequestHandler } from 'express';
import { unsupportedMediaType } from '../errors.ts';

/**
 * Accepts only application/json bodies (415 otherwise), parsed strictly (objects and arrays only)
 * and bounded in size (413 beyond the limit).
 */
export function jsonBody(limit: string): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    next(
      req.is('application/json') === 'application/json'
        ? undefined
        : unsupportedMediaType('Send the body as application/json.'),
    );
  };
  return [requireJson, express.json({ limit, strict: true })];
}
