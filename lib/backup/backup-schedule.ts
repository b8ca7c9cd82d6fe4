import { IConstruct } from 'constructs';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { brand, hasBrand } from '../core/peers';

/** Days of the week, as systemd calendar expressions spell them. */
export enum Weekday {
  MONDAY = 'Mon',
  TUESDAY = 'Tue',
  WEDNESDAY = 'Wed',
  THURSDAY = 'Thu',
  FRIDAY = 'Fri',
  SATURDAY = 'Sat',
  SUNDAY = 'Sun',
}

/** Hour intervals that divide a day evenly, so `00/N` in a calendar expression means "every N hours". */
export const BACKUP_HOUR_INTERVALS: readonly number[] = [1, 2, 3, 4, 6, 8, 12];

/** A schedule once resolved against the policy that uses it. */
export interface ResolvedBackupSchedule {
  /** The systemd `OnCalendar=` expression, with its time zone. */
  readonly onCalendar: string;
  /** Hours between two runs: the part of the recovery point objective the schedule causes. */
  readonly intervalHours: number;
  /** The schedule in words, for runbooks and unit descriptions. */
  readonly description: string;
}

/**
 * When a backup policy runs. Realised as a systemd timer on the backup runner (the OpenStack
 * provider has no scheduled-backup resource), so times are wall-clock times in a named IANA time
 * zone (`Europe/Madrid`), which systemd follows across daylight-saving changes.
 */
export abstract class BackupSchedule {
  /** True when `x` is a {@link BackupSchedule} (a `Symbol.for` brand: look-alike objects are not). */
  public static isBackupSchedule(x: unknown): x is BackupSchedule {
    return hasBrand(x, 'BackupSchedule');
  }

  protected constructor() {
    brand(this, 'BackupSchedule');
  }

  /** Every day at `time` (`HH:MM`, 24-hour) in `timeZone`. */
  public static daily(time: string, timeZone = 'UTC'): BackupSchedule {
    return new CalendarSchedule('daily', time, timeZone);
  }

  /** Every week on `day` at `time` (`HH:MM`) in `timeZone`. */
  public static weekly(day: Weekday, time: string, timeZone = 'UTC'): BackupSchedule {
    return new CalendarSchedule('weekly', time, timeZone, day);
  }

  /** Every `hours` hours (1, 2, 3, 4, 6, 8 or 12), at `minute` past the hour, from midnight in `timeZone`. */
  public static everyHours(hours: number, minute = 0, timeZone = 'UTC'): BackupSchedule {
    return new HourlySchedule(hours, minute, timeZone);
  }

  /** Validates the schedule; throws a {@link HostingStacksError} naming `scope` when it is not valid. */
  public abstract resolve(scope: IConstruct): ResolvedBackupSchedule;
}

/** True when systemd and the runner's tzdata know `timeZone` (an IANA name, or `UTC`). */
export function isKnownTimeZone(timeZone: string): boolean {
  return timeZone === 'UTC' || Intl.supportedValuesOf('timeZone').includes(timeZone);
}

function requireTimeZone(scope: IConstruct, timeZone: string): void {
  if (!isKnownTimeZone(timeZone)) {
    throw new HostingStacksError(scope, 'schedule.timeZone', timeZone, "must be an IANA time zone such as 'Europe/Madrid' or 'UTC'");
  }
}

class CalendarSchedule extends BackupSchedule {
  constructor(
    private readonly period: 'daily' | 'weekly',
    private readonly time: string,
    private readonly timeZone: string,
    private readonly day?: Weekday,
  ) {
    super();
  }

  public resolve(scope: IConstruct): ResolvedBackupSchedule {
    const m = /^([01][0-9]|2[0-3]):([0-5][0-9])$/.exec(this.time);
    if (!m) throw new HostingStacksError(scope, 'schedule.time', this.time, "must be a 24-hour time 'HH:MM', e.g. '02:30'");
    requireTimeZone(scope, this.timeZone);
    if (this.period === 'daily') {
      return { onCalendar: `*-*-* ${this.time}:00 ${this.timeZone}`, intervalHours: 24, description: `daily at ${this.time} ${this.timeZone}` };
    }
    if (!Object.values(Weekday).includes(this.day as Weekday)) {
      throw new HostingStacksError(scope, 'schedule.day', this.day, `must be one of ${Object.values(Weekday).join(', ')}`);
    }
    return { onCalendar: `${this.day} *-*-* ${this.time}:00 ${this.timeZone}`, intervalHours: 168, description: `weekly on ${this.day} at ${this.time} ${this.timeZone}` };
  }
}

class HourlySchedule extends BackupSchedule {
  constructor(private readonly hours: number, private readonly minute: number, private readonly timeZone: string) {
    super();
  }

  public resolve(scope: IConstruct): ResolvedBackupSchedule {
    if (!BACKUP_HOUR_INTERVALS.includes(this.hours)) {
      throw new HostingStacksError(scope, 'schedule.hours', this.hours, `must divide a day evenly: one of ${BACKUP_HOUR_INTERVALS.join(', ')}`);
    }
    requireIntegerInRange(scope, 'schedule.minute', this.minute, 0, 59);
    requireTimeZone(scope, this.timeZone);
    const mm = String(this.minute).padStart(2, '0');
    const hourField = this.hours === 1 ? '*' : `00/${this.hours}`;
    const every = this.hours === 1 ? 'every hour' : `every ${this.hours} hours`;
    return { onCalendar: `*-*-* ${hourField}:${mm}:00 ${this.timeZone}`, intervalHours: this.hours, description: `${every} at minute ${mm} (${this.timeZone})` };
  }
}
