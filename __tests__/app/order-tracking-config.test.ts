import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  mariadbJdbcUrl,
  renderWildflyDatasource,
  renderWildflyInstallScript,
  renderWildflyServiceUnit,
  renderWildflyStandaloneConf,
  WildflyDatasourceModel,
  WildflyInstallModel,
  WildflyServiceModel,
} from '../../lib/app/wildfly-config';
import { checkSystemdUnit, checkXml, requireBinary, run, scratch } from '../support/daemons';
import { checkShellSyntax } from '../database/mariadb-support';

const serviceModel: WildflyServiceModel = {
  version: '27.0.1.Final',
  home: '/opt/wildfly',
  user: 'wildfly',
  bindAddress: '10.0.1.9',
  httpPort: 8080,
  managementAddress: '127.0.0.1',
  managementPort: 9990,
};

const datasourceModel: WildflyDatasourceModel = {
  jndiName: 'java:jboss/datasources/OrderTrackingDS',
  poolName: 'OrderTrackingDS',
  connectionUrl: mariadbJdbcUrl('10.0.1.2', 3306, 'popgom'),
  driverName: 'mariadb-java-client.jar',
  userName: 'app',
  password: 'p&amp;ss&lt;word',
  minPoolSize: 2,
  maxPoolSize: 20,
};

function installModel(overrides: Partial<WildflyInstallModel> = {}): WildflyInstallModel {
  return {
    version: '27.0.1.Final',
    tarballUrl: 'https://download.jboss.org/wildfly/27.0.1.Final/wildfly-27.0.1.Final.tar.gz',
    sha256: 'c72892c996b05bfa78c6c632f1a5d4680523d3efb4c0321fa8485f052e15fba9',
    home: '/opt/wildfly',
    cacheDir: '/var/cache/hosting-stacks',
    user: 'wildfly',
    jdbcDriverJar: '/usr/share/java/mariadb-java-client.jar',
    jdbcDriverName: 'mariadb-java-client.jar',
    datasourceFiles: ['/opt/wildfly/standalone/deployments/order-tracking-ds.xml'],
    archives: [],
    ...overrides,
  };
}


describe('renderWildflyServiceUnit', () => {
  test('given the planned address, then HTTP binds it and management binds 127.0.0.1 only', () => {
    const unit = renderWildflyServiceUnit(serviceModel);
    const execStart = unit.split('\n').find((l) => l.startsWith('ExecStart='))!;
    expect(execStart).toBe('ExecStart=/opt/wildfly/bin/standalone.sh -c standalone.xml -b 10.0.1.9 -Djboss.http.port=8080 -bmanagement 127.0.0.1 -Djboss.management.http.port=9990');
    expect(unit).toContain('User=wildfly\n');
    expect(unit).toContain('Restart=on-failure\n');
  });

  test('given the unit, then systemd-analyze verify accepts it', () => {
    const result = checkSystemdUnit(renderWildflyServiceUnit(serviceModel), 'wildfly.service');
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });

  test('given a bad directive value, then systemd-analyze verify reports it (the check can fail)', () => {
    const unit = renderWildflyServiceUnit(serviceModel).replace('Restart=on-failure', 'Restart=sometimes');
    expect(checkSystemdUnit(unit, 'wildfly.service').ok).toBe(false);
  });
});

describe('renderWildflyStandaloneConf', () => {
  test('given a 2048 MB heap, then sourcing it sets a fixed heap and the metaspace cap', () => {
    const s = scratch('standalone-conf');
    try {
      const file = s.write('standalone.conf', renderWildflyStandaloneConf({ heapMb: 2048, maxMetaspaceMb: 512 }));
      const r = run(['sh', '-c', `JAVA_OPTS= ; . '${file}'; printf '%s' "$JAVA_OPTS"`]);
      expect(r.ok).toBe(true);
      expect(r.output.split(' ')).toEqual(expect.arrayContaining(['-Xms2048m', '-Xmx2048m', '-XX:MaxMetaspaceSize=512m', '-Djboss.modules.system.pkgs=org.jboss.byteman']));
    } finally {
      s.cleanup();
    }
  });

  test('given the file, then bash -n and sh -n accept it', () => {
    expect(checkShellSyntax(renderWildflyStandaloneConf({ heapMb: 2048, maxMetaspaceMb: 512 })).ok).toBe(true);
  });
});

describe('renderWildflyDatasource', () => {
  test('given the writer, then the datasource points at it through the MariaDB driver', () => {
    const xml = renderWildflyDatasource(datasourceModel);
    expect(xml).toContain('<connection-url>jdbc:mariadb://10.0.1.2:3306/popgom</connection-url>');
    expect(xml).toContain('<driver>mariadb-java-client.jar</driver>');
    expect(xml).toContain('<password>p&amp;ss&lt;word</password>');
    expect(xml).toContain('jndi-name="java:jboss/datasources/OrderTrackingDS"');
  });

  test('given the file, then xmllint finds it well-formed', () => {
    const result = checkXml(renderWildflyDatasource(datasourceModel));
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });

  test('given an unescaped & in the password, then xmllint rejects it (the check can fail)', () => {
    expect(checkXml(renderWildflyDatasource({ ...datasourceModel, password: 'a&b' })).ok).toBe(false);
  });
});

describe('renderWildflyInstallScript', () => {
  test('given the defaults, then it verifies the pinned sha256 and keeps the files cloud-init wrote', () => {
    const script = renderWildflyInstallScript(installModel());
    expect(script).toContain("fetch_verified 'https://download.jboss.org/wildfly/27.0.1.Final/wildfly-27.0.1.Final.tar.gz' 'c72892c996b05bfa78c6c632f1a5d4680523d3efb4c0321fa8485f052e15fba9'");
    expect(script).toContain('--strip-components=1 --skip-old-files');
    expect(script).toContain("useradd --system --gid 'wildfly'");
  });

  test('given the script with and without an archive, then bash -n and sh -n accept it', () => {
    expect(checkShellSyntax(renderWildflyInstallScript(installModel())).ok).toBe(true);
    const withArchive = installModel({ archives: [{ url: 'https://example.org/bpm.war', sha256: 'a'.repeat(64), fileName: 'bpm.war' }] });
    expect(checkShellSyntax(renderWildflyInstallScript(withArchive)).ok).toBe(true);
  });

  describe('run for real against a local release tarball', () => {
    const s = scratch('wildfly-install');
    const home = join(s.dir, 'opt-wildfly');
    let tarball = '';
    let tarballSha = '';
    let archive = '';
    let archiveSha = '';
    const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

    beforeAll(() => {
      // A tarball shaped like WildFly's: one top folder with bin/ and standalone/deployments/.
      s.write('build/wildfly-27.0.1.Final/bin/standalone.sh', '#!/bin/sh\n');
      s.write('build/wildfly-27.0.1.Final/bin/standalone.conf', 'STOCK=1\n');
      s.write('build/wildfly-27.0.1.Final/standalone/deployments/README.txt', 'stock\n');
      tarball = join(s.dir, 'wildfly.tar.gz');
      expect(run(['tar', '-czf', tarball, '-C', join(s.dir, 'build'), 'wildfly-27.0.1.Final']).ok).toBe(true);
      tarballSha = sha(tarball);
      archive = s.write('bpm.war', 'PK fake war');
      archiveSha = sha(archive);
      s.write('mariadb-java-client.jar', 'PK fake jar');
    });

    afterAll(() => s.cleanup());

    function model(overrides: Partial<WildflyInstallModel> = {}): WildflyInstallModel {
      return installModel({
        tarballUrl: `file://${tarball}`,
        sha256: tarballSha,
        home,
        cacheDir: join(s.dir, 'cache'),
        // An existing system user and group, so the test creates none.
        user: 'mysql',
        jdbcDriverJar: join(s.dir, 'mariadb-java-client.jar'),
        datasourceFiles: [join(home, 'standalone/deployments/order-tracking-ds.xml')],
        archives: [{ url: `file://${archive}`, sha256: archiveSha, fileName: 'order-tracking.war' }],
        ...overrides,
      });
    }

    test('given a matching sha256, then WildFly is unpacked, our files are kept and the driver and archive are deployed', () => {
      requireBinary('curl');
      // Given: the files cloud-init writes before the script runs
      s.write('opt-wildfly/bin/standalone.conf', 'OURS=1\n');
      s.write('opt-wildfly/standalone/deployments/order-tracking-ds.xml', '<datasources/>\n');
      // When
      const r = run(['sh', s.write('install.sh', renderWildflyInstallScript(model()))], { timeoutMs: 20000 });
      // Then
      expect(r.output).toContain('wildfly-install: WildFly 27.0.1.Final is in');
      expect(r.ok).toBe(true);
      expect(readFileSync(join(home, 'bin/standalone.conf'), 'utf8')).toBe('OURS=1\n');
      expect(existsSync(join(home, 'bin/standalone.sh'))).toBe(true);
      const deployments = join(home, 'standalone/deployments');
      expect(readFileSync(join(deployments, 'mariadb-java-client.jar'), 'utf8')).toBe('PK fake jar');
      expect(readFileSync(join(deployments, 'order-tracking.war'), 'utf8')).toBe('PK fake war');
      const ds = statSync(join(deployments, 'order-tracking-ds.xml'));
      expect(ds.mode & 0o777).toBe(0o640);
      expect(ds.uid).toBe(0);
      expect(statSync(deployments).uid).toBe(Number(run(['id', '-u', 'mysql']).output.trim()));
    });

    test('given a tarball whose sha256 differs, then the script fails and keeps nothing', () => {
      const r = run(['sh', s.write('install-bad.sh', renderWildflyInstallScript(model({ sha256: 'b'.repeat(64), cacheDir: join(s.dir, 'cache-bad') })))], { timeoutMs: 20000 });
      expect(r.ok).toBe(false);
      expect(r.output).toContain(`does not have the sha256 ${'b'.repeat(64)}`);
      expect(existsSync(join(s.dir, 'cache-bad', 'wildfly-27.0.1.Final.tar.gz'))).toBe(false);
      expect(existsSync(join(s.dir, 'cache-bad', 'wildfly-27.0.1.Final.tar.gz.part'))).toBe(false);
    });
  });
});
