import { z } from 'zod';
import { COOLDOWN_BOUNDS } from '../policy/cooldown.js';
import { FOLLOW_MODES, type FollowMode } from '../policy/follow-tags.js';
import { parseMaintenanceWindows, type MaintenanceWindows } from '../policy/maintenance-window.js';
import { ageSeconds, oneOf, type ValueSchema } from './value-schemas.js';

/**
 * Schemas of the update-policy options (REFIT_FOLLOW, REFIT_COOLDOWN, REFIT_UPDATE_WINDOW). The
 * policies' own parsers (src/policy/) read the same syntax from container labels.
 */

export const followMode: ValueSchema<FollowMode> = oneOf(FOLLOW_MODES);

/** A cooldown: 0 (off) up to a year, in the fork's units too (`24h`, `3d`, `1w`, `1M`). */
export const cooldownAge: ValueSchema<number> = ageSeconds(COOLDOWN_BOUNDS);

export const maintenanceWindows: ValueSchema<MaintenanceWindows> = z.string().transform((raw, ctx) => {
  const parsed = parseMaintenanceWindows(raw);
  if (parsed.ok) return parsed.windows;
  ctx.addIssue({ code: 'custom', message: parsed.problem });
  return z.NEVER;
});
