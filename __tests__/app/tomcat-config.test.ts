import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  renderTomcatContextXml,
  renderTomcatDefaults,
  renderTomcatHealthJsp,
  renderTomcatHealthWebXml,
  renderTomcatServerXml,
  TomcatContextConfig,
  TomcatServerConfig,
} from '../../lib/app/tomcat-config';
import { HostingStacksError } from '../../lib/core/errors';
import { checkXml, requireBinary, run, scratch, xpath } from '../support/daemons';
import { startLoopbackMariadb } from '../support/loopback-mariadb';

const CATALINA_HOME = '/usr/share/tomcat10';
const MARIADB_JAR = '/usr/share/java/mariadb-java-client.jar';

function serverModel(overrides: Partial<TomcatServerConfig> = {}): TomcatServerConfig {
  return {
    address: '10.0.1.20',
    port: 8080,
    maxThreads: 200,
    minSpareThreads: 10,
    acceptCount: 100,
    maxConnections: 8192,
    connectionTimeoutMs: 20000,
    internalProxies: '10\\.0\\.1\\.10|10\\.0\\.1\\.11',
    hostName: 'localhost',
    appBase: 'webapps',
    accessLogDirectory: 'logs',
    accessLogPattern: '%a %l %u %t "%r" %s %b %D',
    ...overrides,
  };
}

const PASSWORD = `p&"<'>w`;

function contextModel(): TomcatContextConfig {
  return {
    dataSources: [{
      name: 'jdbc/app',
      driverClassName: 'org.mariadb.jdbc.Driver',
      url: 'jdbc:mariadb://10.0.2.10:3306/popgom',
      username: 'popgom',
      password: PASSWORD,
      maxTotal: 50,
      maxIdle: 10,
      maxWaitMillis: 10000,
      validationQuery: 'SELECT 1',
    }],
  };
}


describe('renderTomcatServerXml', () => {
  test('when rendered, then it is well-formed XML', () => {
    const r = checkXml(renderTomcatServerXml(serverModel()));
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  test('when parsed, then the only connector is HTTP/1.1 on the planned address and port with the thread limits', () => {
    const xml = renderTomcatServerXml(serverModel());
    expect(xpath(xml, 'count(//Connector)')).toBe('1');
    const attr = (a: string) => xpath(xml, `string(/Server/Service/Connector/@${a})`);
    expect(attr('address')).toBe('10.0.1.20');
    expect(attr('port')).toBe('8080');
    expect(attr('protocol')).toBe('HTTP/1.1');
    expect(attr('maxThreads')).toBe('200');
    expect(attr('acceptCount')).toBe('100');
    expect(xpath(xml, 'count(//Connector[contains(@protocol, "AJP")])')).toBe('0');
    expect(xpath(xml, 'string(/Server/@port)')).toBe('-1');
  });

  test('when parsed, then RemoteIpValve trusts the proxies and comes before the access log, whose pattern survives escaping', () => {
    const xml = renderTomcatServerXml(serverModel());
    expect(xpath(xml, 'string(//Valve[@className="org.apache.catalina.valves.RemoteIpValve"]/@internalProxies)')).toBe('10\\.0\\.1\\.10|10\\.0\\.1\\.11');
    expect(xpath(xml, 'string(//Valve[@className="org.apache.catalina.valves.RemoteIpValve"]/@remoteIpHeader)')).toBe('X-Forwarded-For');
    expect(xpath(xml, 'string(//Host/Valve[1]/@className)')).toBe('org.apache.catalina.valves.RemoteIpValve');
    expect(xpath(xml, 'string(//Host/Valve[2]/@className)')).toBe('org.apache.catalina.valves.AccessLogValve');
    expect(xpath(xml, 'string(//Valve[@className="org.apache.catalina.valves.AccessLogValve"]/@pattern)')).toBe('%a %l %u %t "%r" %s %b %D');
  });
});

describe('renderTomcatContextXml', () => {
  test('when parsed, then the DataSource holds the URL, the user and the password as given', () => {
    const xml = renderTomcatContextXml(contextModel());
    expect(checkXml(xml).ok).toBe(true);
    expect(xpath(xml, 'string(/Context/Resource/@name)')).toBe('jdbc/app');
    expect(xpath(xml, 'string(/Context/Resource/@type)')).toBe('javax.sql.DataSource');
    expect(xpath(xml, 'string(/Context/Resource/@url)')).toBe('jdbc:mariadb://10.0.2.10:3306/popgom');
    expect(xpath(xml, 'string(/Context/Resource/@password)')).toBe(PASSWORD);
  });

  test('given no DataSource, then an empty context', () => {
    const xml = renderTomcatContextXml({ dataSources: [] });
    expect(checkXml(xml).ok).toBe(true);
    expect(xpath(xml, 'count(/Context/Resource)')).toBe('0');
  });
});

describe('renderTomcatDefaults', () => {
  test('when sourced by sh (as tomcat-start.sh does), then JAVA_OPTS holds the heap and the options', () => {
    const s = scratch('tomcat-default');
    try {
      const file = s.write('tomcat10', renderTomcatDefaults({ heapMb: 4096, extraJavaOptions: ['-XX:+UseG1GC'] }));
      const r = run(['sh', '-c', `. ${file} && printf '%s' "$JAVA_OPTS"`]);
      expect(r.ok).toBe(true);
      expect(r.output).toBe('-Djava.awt.headless=true -Xms4096m -Xmx4096m -XX:+UseG1GC');
    } finally {
      s.cleanup();
    }
  });

  test('given an option with a space or quote, then it throws', () => {
    expect(() => renderTomcatDefaults({ heapMb: 512, extraJavaOptions: ['-Dx="a b"'] })).toThrow(/^renderTomcatDefaults: 'extraJavaOptions' \('-Dx="a b"'\) must be one word/);
    // One error class everywhere: a renderer's refusal is a HostingStacksError too, naming the renderer.
    expect(() => renderTomcatDefaults({ heapMb: 512, extraJavaOptions: ['-Dx="a b"'] })).toThrow(HostingStacksError);
  });
});

function freePort(): Promise<number> {
  const s = createServer();
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => {
    const port = (s.address() as AddressInfo).port;
    s.close(() => resolve(port));
  }));
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

const DATASOURCE_JSP = `<%@ page import="javax.naming.InitialContext,org.apache.tomcat.dbcp.dbcp2.BasicDataSource" contentType="text/plain" %><%
BasicDataSource ds = (BasicDataSource) new InitialContext().lookup("java:comp/env/jdbc/app");
Class.forName(ds.getDriverClassName());
out.print(ds.getUrl() + "|" + ds.getUsername() + "|" + ds.getPassword() + "|" + ds.getMaxTotal());
%>`;

/** Starts Debian's Tomcat 10 on the CATALINA_BASE `base`, with the rendered `/etc/default/tomcat10` at `defaults` sourced. */
function startTomcat(base: string, defaults: string): ChildProcess {
  return spawn('sh', ['-c', `. ${defaults} && export JAVA_OPTS && exec ${CATALINA_HOME}/bin/catalina.sh run`], {
    env: { ...process.env, CATALINA_HOME, CATALINA_BASE: base, CATALINA_TMPDIR: join(base, 'temp') },
    stdio: 'ignore',
  });
}

/** The first answer to `url` once Tomcat listens (45 s at most); throws when Tomcat exits first or never answers. */
async function firstAnswer(tomcat: ChildProcess, url: string, init?: RequestInit): Promise<Response> {
  const end = Date.now() + 45000;
  for (;;) {
    try {
      return await fetch(url, init);
    } catch {
      if (tomcat.exitCode !== null || Date.now() > end) throw new Error(`Tomcat did not answer on ${url} (exit ${tomcat.exitCode})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/**
 * A CATALINA_BASE in `s` for the health page: the rendered server.xml on 127.0.0.1:`port`, Debian's
 * conf/web.xml and the MariaDB driver. The test writes ROOT.xml and the ROOT application.
 */
function healthPageBase(s: ReturnType<typeof scratch>, port: number): void {
  for (const d of ['logs', 'temp', 'work', 'lib', 'conf/Catalina/localhost', 'webapps/ROOT/WEB-INF']) mkdirSync(join(s.dir, d), { recursive: true });
  s.write('conf/server.xml', renderTomcatServerXml(serverModel({ address: '127.0.0.1', port, internalProxies: '' })));
  copyFileSync('/etc/tomcat10/web.xml', join(s.dir, 'conf/web.xml'));
  symlinkSync(MARIADB_JAR, join(s.dir, 'lib/mariadb-java-client.jar'));
}

describe('renderTomcatHealthJsp', () => {
  test.each([
    ['jndiName', { jndiName: 'jdbc/health"', timeoutSeconds: 2 }, /^renderTomcatHealthJsp: 'jndiName' \('jdbc\/health"'\) must be letters, digits/],
    ['a reported name', { jndiName: 'jdbc/health', timeoutSeconds: 2, reported: [{ name: 'partners"); x("', jndiName: 'jdbc/health-partners' }] },
      /^renderTomcatHealthJsp: 'reported\[0\]\.name' \('partners"\); x\("'\) must be letters, digits/],
    ['a reported JNDI name', { jndiName: 'jdbc/health', timeoutSeconds: 2, reported: [{ name: 'partners', jndiName: 'jdbc/a b' }] },
      /^renderTomcatHealthJsp: 'reported\[0\]\.jndiName' \('jdbc\/a b'\) must be letters, digits/],
  ] as [string, Parameters<typeof renderTomcatHealthJsp>[0], RegExp][])('given %s that would break out of its Java string, then it throws', (_name, config, message) => {
    expect(() => renderTomcatHealthJsp(config)).toThrow(message);
  });

  test('without reported databases, the page is what it was: no line for another database', () => {
    expect(renderTomcatHealthJsp({ jndiName: 'jdbc/health', timeoutSeconds: 2 })).not.toContain('Reported');
    expect(renderTomcatHealthJsp({ jndiName: 'jdbc/health', timeoutSeconds: 2, reported: [{ name: 'partners', jndiName: 'jdbc/health-partners' }] })).toContain('out.println("partners: ok");');
  });
});

describe('Tomcat 10 from the rendered files, on loopback', () => {
  test('given server.xml, the context and the defaults, then /healthz answers 200, the DataSource is bound and X-Forwarded-For from the proxy is the logged client', async () => {
    requireBinary('java');
    requireBinary(`${CATALINA_HOME}/bin/catalina.sh`);
    if (!existsSync(MARIADB_JAR)) throw new Error(`${MARIADB_JAR} is missing: run scripts/install-test-deps.sh (libmariadb-java)`);
    const port = await freePort();
    const s = scratch('tomcat-run');
    for (const d of ['logs', 'temp', 'work', 'lib', 'conf/Catalina/localhost', 'webapps/ROOT']) mkdirSync(join(s.dir, d), { recursive: true });
    s.write('conf/server.xml', renderTomcatServerXml(serverModel({ address: '127.0.0.1', port, internalProxies: '127\\.0\\.0\\.1' })));
    copyFileSync('/etc/tomcat10/web.xml', join(s.dir, 'conf/web.xml'));
    s.write('conf/Catalina/localhost/ROOT.xml', renderTomcatContextXml(contextModel()));
    symlinkSync(MARIADB_JAR, join(s.dir, 'lib/mariadb-java-client.jar'));
    s.write('webapps/ROOT/healthz', 'ok\n');
    s.write('webapps/ROOT/ds.jsp', DATASOURCE_JSP);
    const defaults = s.write('default-tomcat10', renderTomcatDefaults({ heapMb: 256, extraJavaOptions: ['-XX:+UseG1GC'] }));
    const tomcat = startTomcat(s.dir, defaults);
    const base = `http://127.0.0.1:${port}`;
    try {
      const health = await firstAnswer(tomcat, `${base}/healthz`, { headers: { 'X-Forwarded-For': '203.0.113.7' } });
      expect(health.status).toBe(200);
      expect(await health.text()).toBe('ok\n');

      const ds = await fetch(`${base}/ds.jsp`);
      expect(await ds.text()).toBe(`jdbc:mariadb://10.0.2.10:3306/popgom|popgom|${PASSWORD}|50`);
      expect(ds.status).toBe(200);

      // The access log is buffered; stopping Tomcat flushes it.
      await stop(tomcat);
      const logs = readdirSync(join(s.dir, 'logs')).filter((f) => f.startsWith('localhost_access_log'));
      expect(logs).toHaveLength(1);
      const log = readFileSync(join(s.dir, 'logs', logs[0]), 'utf8');
      expect(log).toMatch(/^203\.0\.113\.7 - - \[.*\] "GET \/healthz HTTP\/1\.1" 200 3 /m);
    } finally {
      await stop(tomcat);
      s.cleanup();
    }
  });
});

/**
 * The health page the AppTier renders with a database (ROOT's web.xml mapping /healthz to the JSP,
 * its one-connection jdbc/health pool in ROOT.xml) in the real Tomcat 10, before a MariaDB of the
 * test's own on loopback: 200 while the database answers, 503 once it is gone.
 */
describe('the Tomcat health page from the rendered files, before a MariaDB on loopback', () => {
  test('given the database answers, then /healthz is 200 ok; given it stopped, then 503', async () => {
    requireBinary('java');
    requireBinary(`${CATALINA_HOME}/bin/catalina.sh`);
    if (!existsSync(MARIADB_JAR)) throw new Error(`${MARIADB_JAR} is missing: run scripts/install-test-deps.sh (libmariadb-java)`);
    const s = scratch('tomcat-health');
    chmodSync(s.dir, 0o755);
    const db = await startLoopbackMariadb(s.dir, { database: 'popgom', user: 'popgom', password: PASSWORD });
    let tomcat: ChildProcess | undefined;
    try {
      const port = await freePort();
      healthPageBase(s, port);
      s.write('conf/Catalina/localhost/ROOT.xml', renderTomcatContextXml({ dataSources: [{
        name: 'jdbc/health', driverClassName: 'org.mariadb.jdbc.Driver', url: `jdbc:mariadb://127.0.0.1:${db.port}/popgom`, username: 'popgom', password: PASSWORD,
        maxTotal: 1, maxIdle: 1, maxWaitMillis: 2000, validationQuery: 'SELECT 1',
      }] }));
      s.write('webapps/ROOT/WEB-INF/web.xml', renderTomcatHealthWebXml({ path: '/healthz', jspPath: '/WEB-INF/hosting-stacks-health.jsp', jndiName: 'jdbc/health' }));
      s.write('webapps/ROOT/WEB-INF/hosting-stacks-health.jsp', renderTomcatHealthJsp({ jndiName: 'jdbc/health', timeoutSeconds: 2 }));
      const defaults = s.write('default-tomcat10', renderTomcatDefaults({ heapMb: 256, extraJavaOptions: ['-XX:+UseG1GC'] }));
      tomcat = startTomcat(s.dir, defaults);
      const url = `http://127.0.0.1:${port}/healthz`;
      const health = await firstAnswer(tomcat, url);
      expect(await health.text()).toBe('ok\n');
      expect(health.status).toBe(200);
      expect(health.headers.get('cache-control')).toBe('no-store');
      // When the database stops
      await db.stop();
      const down = await fetch(url);
      expect(down.status).toBe(503);
      expect(await down.text()).toMatch(/^database unavailable: /);
    } finally {
      if (tomcat) await stop(tomcat);
      await db.stop();
      s.cleanup();
    }
  }, 90000);
});

/**
 * The health page of an AppTier with more databases (`databases`): the application's own decides the
 * status, the others are reported on a line each. Real Tomcat 10, two MariaDBs of the test's own.
 */
describe('the Tomcat health page with a reported database, before two MariaDBs on loopback', () => {
  test('given both answer, then 200 with a line each; given the reported one stopped, then still 200 naming it; given the own one stopped, then 503', async () => {
    requireBinary('java');
    requireBinary(`${CATALINA_HOME}/bin/catalina.sh`);
    if (!existsSync(MARIADB_JAR)) throw new Error(`${MARIADB_JAR} is missing: run scripts/install-test-deps.sh (libmariadb-java)`);
    const s = scratch('tomcat-health-reported');
    chmodSync(s.dir, 0o755);
    for (const d of ['own', 'partners']) mkdirSync(join(s.dir, d), { mode: 0o755 });
    const own = await startLoopbackMariadb(join(s.dir, 'own'), { database: 'api', user: 'api', password: PASSWORD });
    let partners: Awaited<ReturnType<typeof startLoopbackMariadb>> | undefined;
    let tomcat: ChildProcess | undefined;
    try {
      partners = await startLoopbackMariadb(join(s.dir, 'partners'), { database: 'partners', user: 'partners', password: PASSWORD });
      const port = await freePort();
      healthPageBase(s, port);
      const pool = (name: string, dbPort: number, database: string) => ({
        name, driverClassName: 'org.mariadb.jdbc.Driver', url: `jdbc:mariadb://127.0.0.1:${dbPort}/${database}`, username: database, password: PASSWORD,
        maxTotal: 1, maxIdle: 1, maxWaitMillis: 2000, validationQuery: 'SELECT 1',
      });
      s.write('conf/Catalina/localhost/ROOT.xml', renderTomcatContextXml({ dataSources: [pool('jdbc/health', own.port, 'api'), pool('jdbc/health-partners', partners.port, 'partners')] }));
      s.write('webapps/ROOT/WEB-INF/web.xml', renderTomcatHealthWebXml({ path: '/healthz', jspPath: '/WEB-INF/hosting-stacks-health.jsp', jndiName: 'jdbc/health', reportedJndiNames: ['jdbc/health-partners'] }));
      s.write('webapps/ROOT/WEB-INF/hosting-stacks-health.jsp', renderTomcatHealthJsp({ jndiName: 'jdbc/health', timeoutSeconds: 2, reported: [{ name: 'partners', jndiName: 'jdbc/health-partners' }] }));
      const defaults = s.write('default-tomcat10', renderTomcatDefaults({ heapMb: 256, extraJavaOptions: ['-XX:+UseG1GC'] }));
      tomcat = startTomcat(s.dir, defaults);
      const url = `http://127.0.0.1:${port}/healthz`;
      const health = await firstAnswer(tomcat, url);
      expect([health.status, await health.text()]).toEqual([200, 'ok\npartners: ok\n']);
      // When the reported database stops, the page still answers 200 and names it.
      await partners.stop();
      const partial = await fetch(url);
      expect([partial.status, await partial.text()]).toEqual([200, expect.stringMatching(/^ok\npartners: unavailable: \S+\n$/)]);
      // When the application's own stops, 503.
      await own.stop();
      const down = await fetch(url);
      expect([down.status, await down.text()]).toEqual([503, expect.stringMatching(/^database unavailable: \S+\npartners: unavailable: \S+\n$/)]);
    } finally {
      if (tomcat) await stop(tomcat);
      if (partners) await partners.stop();
      await own.stop();
      s.cleanup();
    }
  }, 120000);
});
