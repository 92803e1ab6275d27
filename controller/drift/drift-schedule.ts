/**
 * When the controller checks a site for drift (besides after every apply), as its configuration says it
 * (controller/daemon/controller-config.ts imports this schema): a cron expression, every 5 minutes by
 * default. Only the shape is checked here (5 or 6 fields); the scheduler parses it.
 */
import { z } from 'zod';

export const DEFAULT_DRIFT_SCHEDULE = '*/5 * * * *';

export const driftScheduleSchema = z
  .strictObject({
    schedule: z
      .string()
      .regex(/^\S+( \S+){4,5}$/, 'must be a cron expression of 5 fields (minute hour day month weekday), or 6 with seconds first')
      .default(DEFAULT_DRIFT_SCHEDULE),
  })
  .default({ schedule: DEFAULT_DRIFT_SCHEDULE });
export type DriftSchedule = z.infer<typeof driftScheduleSchema>;
