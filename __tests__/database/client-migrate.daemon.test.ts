/**
 * The client databases' migration runner, run as rendered against a real MariaDB of the test's own
 * on 127.0.0.1 under the option file the stack renders, its accounts and registry made by the
 * rendered bootstrap script: 50 client databases updated in parallel within the bound per host, a
 * failing step that leaves its database as it was, and a rerun that continues from the recorded
 * step. How much shorter parallel is than one after another is measured by `npm run bench:migrate`
 * (bench/client-migrate.ts), not here. The server is stopped by its PID and waited for, on failure too.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClientDatabasesFixture, CLIENT_BASE_STEP, CLIENT_RELEASE_FILES, startClientDatabasesFixture } from '../support/client-databases-fixture';
import { scratch } from '../support/daemons';

jest.setTimeout(600000);

/** 50 client databases (the figure for the proof). */
const CLIENTS = 50;

const s = scratch('client-migrate');
let fx: ClientDatabasesFixture | undefined;
const migrate = (args: string[]) => fx!.migrate(args);
const registry = () => fx!.registry();

/** The columns and indexes of a client's database: what a failed update must leave as it was. */
function schemaOf(client: string): string {
  return fx!.db.sql(`SELECT table_name, column_name, column_type FROM information_schema.columns WHERE table_schema = 'client_${client}' ORDER BY 1, 2;
SELECT table_name, index_name, column_name FROM information_schema.statistics WHERE table_schema = 'client_${client}' ORDER BY 1, 2, 3;
SELECT COUNT(*) FROM client_${client}.contacts;`);
}

const names = Array.from({ length: CLIENTS }, (_, i) => `c${String(i + 1).padStart(2, '0')}`);

beforeAll(async () => {
  fx = await startClientDatabasesFixture(s.dir, { parallel: 4, maxClientsPerHost: 25 });
});

afterAll(async () => {
  await fx?.stop();
  s.cleanup();
});

describe('the migration runner, against a real MariaDB', () => {
  test('given 50 clients added, then each database is made on the host with the fewest clients, and a host that is full is refused', () => {
    for (const name of names) {
      const r = migrate(['add-client', name]);
      expect({ name, ok: r.ok, output: r.output }).toEqual({ name, ok: true, output: expect.stringContaining(`client ${name}: database client_${name} on`) });
    }
    const hosts = Object.values(registry()).map((e) => e.host);
    expect(hosts.filter((h) => h === 'db-1')).toHaveLength(25);
    expect(hosts.filter((h) => h === 'db-2')).toHaveLength(25);
    const full = migrate(['add-client', 'c51']);
    expect(full.ok).toBe(false);
    expect(full.output).toMatch(/every database host holds 25 clients/);
    expect(migrate(['add-client', 'Bad-Name']).output).toMatch(/client name 'Bad-Name'/);
  });

  test('given the base step, then every client database gets it and the registry records it', () => {
    writeFileSync(join(fx!.steps, '001-base.sql'), CLIENT_BASE_STEP);
    const r = migrate(['run']);
    expect(r.output).toMatch(/updated 50 databases \(50 steps\)/);
    expect(r.ok).toBe(true);
    expect(new Set(Object.values(registry()).map((e) => `${e.last} ${e.status}`))).toEqual(new Set(['2026-01-base ok']));
    expect(fx!.db.sql('SELECT COUNT(*) FROM client_c37.contacts').trim()).toBe('2000');
  });

  test('given a release of five steps, when the 50 databases are updated, then each gets every step, at most 4 at once per host and both hosts at once', () => {
    for (const [name, content] of Object.entries(CLIENT_RELEASE_FILES)) writeFileSync(join(fx!.steps, name), content);
    const r = migrate(['run']);
    expect(r.output).toMatch(/updated 50 databases \(250 steps\)/);
    expect(r.ok).toBe(true);
    // Each database's update, as the run logged it: its host, when it started and how long it took.
    const spans = [...r.output.matchAll(/^c\d+ \(client_c\d+ on (db-[12])\): 5 steps in [\d.]+ s \(([\d.]+) s to ([\d.]+) s of the run\)$/gm)]
      .map((m) => ({ host: m[1], from: Number(m[2]), to: Number(m[3]) }));
    expect(spans).toHaveLength(CLIENTS);
    const mostAtOnce = (host?: string) => Math.max(...spans.filter((x) => !host || x.host === host).map((x) => spans.filter((y) => (!host || y.host === host) && y.from <= x.from && x.from < y.to).length));
    expect(mostAtOnce('db-1')).toBeLessThanOrEqual(4);
    expect(mostAtOnce('db-2')).toBeLessThanOrEqual(4);
    expect(mostAtOnce()).toBeGreaterThan(4);
    expect(new Set(Object.values(registry()).map((e) => e.last))).toEqual(new Set(['2026-06-default-segment']));
    expect(fx!.db.sql("SELECT name FROM client_c05.segments").trim()).toBe('all contacts');
    expect(fx!.db.sql("SELECT COUNT(*) FROM information_schema.columns WHERE table_schema LIKE 'client\\_%' AND column_name = 'phone'").trim()).toBe(String(CLIENTS));
  });

  test('given a step that fails half-way, then each database is restored from its snapshot and its recorded step kept, and a rerun continues from there', () => {
    const before = schemaOf('c12');
    // Its first statement (DDL, committed at once) succeeds; the second fails.
    writeFileSync(join(fx!.steps, '004-broken.sql'), `-- step: 2026-07-consent
ALTER TABLE contacts ADD COLUMN consent_at DATETIME NULL;
UPDATE no_such_table SET x = 1;
`);
    const failed = migrate(['run']);
    expect(failed.ok).toBe(false);
    expect(failed.output).toMatch(/c12 \(client_c12 on db-[12]\): step 2026-07-consent \(004-broken\.sql\) failed: .*no_such_table.*restored from the snapshot taken before 2026-07-consent/);
    expect(schemaOf('c12')).toBe(before);
    const entry = registry().c12;
    expect(entry.last).toBe('2026-06-default-segment');
    expect(entry.status).toMatch(/^failed: step 2026-07-consent/);

    writeFileSync(join(fx!.steps, '004-broken.sql'), `-- step: 2026-07-consent
ALTER TABLE contacts ADD COLUMN consent_at DATETIME NULL;
-- step: 2026-08-consent-index
CREATE INDEX contacts_consent ON contacts (consent_at);
`);
    const rerun = migrate(['run']);
    expect(rerun.ok).toBe(true);
    // Only the two new steps on each database: the five of the release are not applied again.
    expect(rerun.output).toMatch(/updated 50 databases \(100 steps\)/);
    expect(new Set(Object.values(registry()).map((e) => `${e.last} ${e.status}`))).toEqual(new Set(['2026-08-consent-index ok']));
  });

  test('given update files that contradict each other, then the run refuses them before touching any database', () => {
    writeFileSync(join(fx!.steps, '005-dup.sql'), '-- step: 2026-02-activity\nSELECT 1;\n');
    const r = migrate(['run']);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/step 2026-02-activity is in 002-release\.sql and in 005-dup\.sql: tags must be unique/);
    rmSync(join(fx!.steps, '005-dup.sql'));
    writeFileSync(join(fx!.steps, '006-bad.xml'), '<update><step tag="x">SELECT 1;</step>');
    expect(migrate(['run']).output).toMatch(/006-bad\.xml: not well-formed XML/);
    rmSync(join(fx!.steps, '006-bad.xml'));
    expect(migrate(['steps']).output.split('\n').filter(Boolean).map((l) => l.split('\t')[0])).toEqual([
      '2026-01-base', '2026-02-activity', '2026-03-contacts-phone', '2026-04-email-index', '2026-05-segments', '2026-06-default-segment', '2026-07-consent', '2026-08-consent-index',
    ]);
  });
});
