/**
 * Where alerts go, as the controller's configuration names it (controller/daemon/controller-config.ts
 * imports this schema): a generic JSON webhook, its body signed with HMAC-SHA256 by a secret from the
 * secret store, or a Slack-compatible incoming webhook. `reminder`: how often an open incident is sent again.
 */
import { z } from 'zod';
import { sha256 } from '../model/sha256.js';
import { Duration, durationSeconds } from '../spec/duration.js';

export const alertRouteSchema = z.strictObject({
  type: z.enum(['webhook', 'slack']),
  /** The route's name in logs and in the persisted incidents; default: a digest of its URL (which may carry a token). */
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes').optional(),
  url: z.url({ protocol: /^https?$/ }),
  /** The secret (by name in the secret store) that signs a webhook's body; required for `webhook`. */
  secret: z.string().min(1).optional(),
  reminder: Duration.optional(),
}).superRefine((r, ctx) => {
  if (r.type === 'webhook' && r.secret === undefined) ctx.addIssue({ code: 'custom', path: ['secret'], message: 'a webhook route signs its bodies: name the secret that signs them' });
});
export type AlertRoute = z.infer<typeof alertRouteSchema>;

export const DEFAULT_REMINDER = '4h';

export function routeId(route: AlertRoute): string {
  return route.name ?? `route-${sha256(route.url).slice(0, 12)}`;
}

export function reminderMs(route: AlertRoute, fallbackMs: number): number {
  return route.reminder === undefined ? fallbackMs : durationSeconds(route.reminder) * 1000;
}
