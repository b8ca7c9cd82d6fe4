import { runisoCampaigns, RUNISO_PEAK_CONCURRENT_USERS } from '../../stacks/runiso';

describe('runisoCampaigns', () => {
  test('given 2027, then the sales open on the decreed Wednesdays, Mother\'s Day is the last Sunday of May, back to school the first of September', () => {
    expect(runisoCampaigns(2027)).toEqual([
      { name: 'winter-sales', start: '2027-01-13T00:00', end: '2027-01-20T00:00', concurrentUsers: RUNISO_PEAK_CONCURRENT_USERS },
      { name: 'mothers-day', start: '2027-05-20T00:00', end: '2027-05-31T00:00', concurrentUsers: 2000 },
      { name: 'summer-sales', start: '2027-06-30T00:00', end: '2027-07-07T00:00', concurrentUsers: RUNISO_PEAK_CONCURRENT_USERS },
      { name: 'back-to-school', start: '2027-08-18T00:00', end: '2027-09-08T00:00', concurrentUsers: 1500 },
    ]);
  });

  test('given a year whose Pentecost is the last Sunday of May (2012), then Mother\'s Day moves to the first Sunday of June', () => {
    const mothersDay = runisoCampaigns(2012).find((c) => c.name === 'mothers-day')!;
    expect(mothersDay.end).toBe('2012-06-04T00:00');
  });

  test('the peak is the sales\'; the other campaigns take shares of it', () => {
    expect(runisoCampaigns(2027, 900).map((c) => c.concurrentUsers)).toEqual([900, 600, 900, 450]);
  });

  test('bad input names the function, the argument and the value', () => {
    expect(() => runisoCampaigns(1999)).toThrow("runisoCampaigns: 'year' (1999) must be a whole year from 2000 to 2100");
    expect(() => runisoCampaigns(2027, 0)).toThrow("runisoCampaigns: 'peak' (0) must be a whole number of users, 1 or more");
  });
});
