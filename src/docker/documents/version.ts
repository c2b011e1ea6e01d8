import { z } from 'zod';

/** `GET /version`, the one schema for it. */
export const versionSchema = z.looseObject({
  ApiVersion: z.string().regex(/^\d+\.\d+$/),
  /** The oldest API version the engine still serves; absent from very old engines. */
  MinAPIVersion: z
    .string()
    .regex(/^\d+\.\d+$/)
    .optional(),
  Version: z.string().optional(),
});
