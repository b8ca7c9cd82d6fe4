import { Testing } from 'cdktf';
import { Construct } from 'constructs';
import { BackupSchedule, isKnownTimeZone, Weekday } from '../../lib/backup/backup-schedule';
import { HostingStack } from '../../lib/stack/hosting-stack';
import { run } from '../support/daemons';

function scope(): Construct {
  return new Construct(new HostingStack(Testing.app(), 'test'), 'Policy');
}

/** systemd's own parser of calendar expressions. */
function systemdAccepts(expression: string): boolean {
  return run(['systemd-analyze', 'calendar', expression]).ok;
}

describe('BackupSchedule', () => {
  test('daily: OnCalendar at the time in the zone, 24 h apart', () => {
    const s = BackupSchedule.daily('02:30', 'Europe/Madrid').resolve(scope());
    expect(s).toEqual({ onCalendar: '*-*-* 02:30:00 Europe/Madrid', intervalHours: 24, description: 'daily at 02:30 Europe/Madrid' });
    expect(systemdAccepts(s.onCalendar)).toBe(true);
  });

  test('weekly: the day first, 168 h apart', () => {
    const s = BackupSchedule.weekly(Weekday.SUNDAY, '03:00').resolve(scope());
    expect(s.onCalendar).toBe('Sun *-*-* 03:00:00 UTC');
    expect(s.intervalHours).toBe(168);
    expect(systemdAccepts(s.onCalendar)).toBe(true);
  });

  test('every 6 hours at minute 15: 00/6 in the hour field', () => {
    const s = BackupSchedule.everyHours(6, 15, 'Europe/Paris').resolve(scope());
    expect(s.onCalendar).toBe('*-*-* 00/6:15:00 Europe/Paris');
    expect(s.intervalHours).toBe(6);
    expect(systemdAccepts(s.onCalendar)).toBe(true);
  });

  test('every hour: any hour', () => {
    const s = BackupSchedule.everyHours(1).resolve(scope());
    expect(s.onCalendar).toBe('*-*-* *:00:00 UTC');
    expect(s.description).toBe('every hour at minute 00 (UTC)');
    expect(systemdAccepts(s.onCalendar)).toBe(true);
  });

  test('systemd rejects an unknown zone (what the validation prevents)', () => {
    expect(systemdAccepts('*-*-* 02:30:00 Europe/Atlantis')).toBe(false);
    expect(isKnownTimeZone('Europe/Atlantis')).toBe(false);
    expect(isKnownTimeZone('UTC')).toBe(true);
  });

  test.each([
    [BackupSchedule.daily('2:30'), /test\/Policy: 'schedule.time' \('2:30'\) must be a 24-hour time 'HH:MM'/],
    [BackupSchedule.daily('24:00'), /'schedule.time' \('24:00'\)/],
    [BackupSchedule.daily('02:30', 'Europe/Atlantis'), /'schedule.timeZone' \('Europe\/Atlantis'\) must be an IANA time zone/],
    [BackupSchedule.weekly('Sunday' as Weekday, '03:00'), /'schedule.day' \('Sunday'\) must be one of Mon, Tue/],
    [BackupSchedule.everyHours(5), /'schedule.hours' \(5\) must divide a day evenly: one of 1, 2, 3, 4, 6, 8, 12/],
    [BackupSchedule.everyHours(6, 60), /'schedule.minute' \(60\) must be an integer from 0 to 59/],
    [BackupSchedule.everyHours(6, 0, 'Mars/Olympus'), /'schedule.timeZone' \('Mars\/Olympus'\)/],
  ])('invalid schedule %# is refused', (schedule, message) => {
    expect(() => schedule.resolve(scope())).toThrow(message);
  });
});
