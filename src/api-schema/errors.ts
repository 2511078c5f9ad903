import { z } from 'zod';
import type { Wire } from './wire.ts';

/**
 * The refusal envelope every route answers a 4xx or 5xx with. The codes are the error
 * catalogue's (docs/errors.md); the document narrows `code` to them, this schema keeps it a
 * string so a client built against it accepts codes added later.
 */
export const errorEnvelopeSchema = z.object({
  error: z.object({
    code: z.string().describe('Stable: branch on it (docs/errors.md).'),
    message: z.string().describe('For people; may change.'),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type ErrorEnvelope = Wire<typeof errorEnvelopeSchema>;
