import { HostingStacksError } from '../../lib/core/errors';
import { formatTraceCsv, parseTraceCsv, traceMinutes, traceTime } from '../../lib/scaling/demand-trace';

describe('parseTraceCsv', () => {
  test('reads an hourly trace with zones and CRLF line endings', () => {
    // given an export with a Z time, an offset time and a trailing blank line
    const csv = 'time,concurrent_users\r\n2027-10-26T18:00:00Z,3500\r\n2027-10-26T21:00+02:00,4000\r\n2027-10-26T20:00:00.000Z,3200\r\n\r\n';
    // when parsed
    const t = parseTraceCsv(csv);
    // then the steps are an hour apart, starting at the first row
    expect(t.resolutionMinutes).toBe(60);
    expect(t.start.toISOString()).toBe('2027-10-26T18:00:00.000Z');
    expect(t.users).toEqual([3500, 4000, 3200]);
    expect(traceMinutes(t)).toBe(180);
    expect(traceTime(t, 2).toISOString()).toBe('2027-10-26T20:00:00.000Z');
  });

  test('reads a minute trace and accepts a header in any case with spaces', () => {
    // given
    const csv = ' Time , Concurrent_Users \n2027-01-01T00:00Z,1.5\n2027-01-01T00:01Z,2\n';
    // when
    const t = parseTraceCsv(csv);
    // then
    expect(t.resolutionMinutes).toBe(1);
    expect(t.users).toEqual([1.5, 2]);
  });

  test('reads what formatTraceCsv writes', () => {
    // given a trace
    const trace = { resolutionMinutes: 1 as const, start: new Date('2027-03-28T00:58:00Z'), users: [10, 20, 30] };
    // when written and read back
    // then it is the same trace
    expect(parseTraceCsv(formatTraceCsv(trace))).toEqual(trace);
  });

  test.each([
    ['', /^parseTraceCsv: 'text' \(''\) is blank; it must start with the header 'time,concurrent_users', then one row per step$/],
    [' \r\n\n', /^parseTraceCsv: 'text' \(' \\r\\n\\n'\) is blank/],
    ['when,users\n2027-01-01T00:00Z,1\n', /^parseTraceCsv: 'line 1: header' \('when,users'\) must be 'time,concurrent_users'$/],
    ['time,concurrent_users\n', /^parseTraceCsv: 'text' \('time,concurrent_users'\) has no rows after the header/],
    ['time,concurrent_users\n2027-01-01T00:00Z,1,2\n', /^parseTraceCsv: 'line 2' \('2027-01-01T00:00Z,1,2'\) must have 2 columns \(time,concurrent_users\), not 3$/],
    ['time,concurrent_users\n2027-01-01T00:00:00,1\n', /^parseTraceCsv: 'line 2: time' \('2027-01-01T00:00:00'\) must be an ISO 8601 time with a zone/],
    ['time,concurrent_users\n2027-13-45T00:00Z,1\n', /'line 2: time' \('2027-13-45T00:00Z'\) must be an ISO 8601 time/],
    ['time,concurrent_users\n2027-01-01T00:00Z,many\n', /^parseTraceCsv: 'line 2: concurrent_users' \('many'\) must be a number of at least 0$/],
    ['time,concurrent_users\n2027-01-01T00:00Z,-3\n', /'line 2: concurrent_users' \('-3'\) must be a number of at least 0/],
    ['time,concurrent_users\n2027-01-01T00:00Z,\n', /'line 2: concurrent_users' \(''\) must be a number/],
    ['time,concurrent_users\n2027-01-01T00:00Z,1\n2027-01-01T00:05Z,1\n', /^parseTraceCsv: 'line 3: time' \('2027-01-01T00:05Z'\) is 5 minutes after the previous row; steps must be 1 or 60 minutes$/],
    ['time,concurrent_users\n2027-01-01T00:00Z,1\n2027-01-01T00:01Z,1\n\n2027-01-01T00:03Z,1\n', /^parseTraceCsv: 'line 5: time' \('2027-01-01T00:03Z'\) must be 1 minutes after the previous row, like the first two rows$/],
  ])('rejects malformed CSV (%#)', (csv, message) => {
    // given / when / then
    expect(() => parseTraceCsv(csv)).toThrow(message);
    expect(() => parseTraceCsv(csv)).toThrow(HostingStacksError);
  });

  test('a bad header is a HostingStacksError naming the function, the line and the value', () => {
    // given a CSV whose header is not the one required
    const csv = 'when,users\n2027-01-01T00:00Z,1\n';
    // when parsed
    let thrown: unknown;
    try {
      parseTraceCsv(csv);
    } catch (e) {
      thrown = e;
    }
    // then the error carries the function as its path and the line as its prop
    expect(thrown).toBeInstanceOf(HostingStacksError);
    expect((thrown as HostingStacksError).constructPath).toBe('parseTraceCsv');
    expect((thrown as HostingStacksError).prop).toBe('line 1: header');
    expect((thrown as Error).message).toBe("parseTraceCsv: 'line 1: header' ('when,users') must be 'time,concurrent_users'");
  });
});
