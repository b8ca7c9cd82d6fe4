import { renderTemplate } from '../config/template';

/**
 * Renders what a WildFly server needs on Debian 12, which packages no WildFly: the install script
 * (release tarball checked by sha256), the systemd unit, `bin/standalone.conf` (JVM heap) and a
 * deployable `*-ds.xml` datasource.
 */

/** Where WildFly is unpacked. */
export const WILDFLY_HOME = '/opt/wildfly';

/** Where the install script keeps the downloaded tarball and archives. */
export const WILDFLY_CACHE_DIR = '/var/cache/hosting-stacks';

/** The system user WildFly runs as. */
export const WILDFLY_USER = 'wildfly';

/** MariaDB Connector/J of Debian 12 (package `libmariadb-java`, 2.7.6), deployed as a JDBC 4 driver. */
export const DEBIAN_MARIADB_JDBC_JAR = '/usr/share/java/mariadb-java-client.jar';

/** One archive the install script downloads, checks and drops into `standalone/deployments`. */
export interface WildflyDeploymentArchiveModel {
  /** Where to download it from (http or https). */
  readonly url: string;
  /** Its sha256, 64 lower-case hex digits. */
  readonly sha256: string;
  /** File name in `standalone/deployments` (`*.war`, `*.ear`). */
  readonly fileName: string;
}

/** What the install script does. */
export interface WildflyInstallModel {
  /** WildFly version, e.g. `27.0.1.Final`. */
  readonly version: string;
  /** URL of the release tarball. */
  readonly tarballUrl: string;
  /** sha256 of the tarball, 64 lower-case hex digits. */
  readonly sha256: string;
  /** Where to unpack it. */
  readonly home: string;
  /** Where downloads are kept. */
  readonly cacheDir: string;
  /** System user (and group) to create and run as. */
  readonly user: string;
  /** JDBC driver jar to deploy. */
  readonly jdbcDriverJar: string;
  /** Its file name in `standalone/deployments`; datasources name the driver by it. */
  readonly jdbcDriverName: string;
  /** Datasource files (written by cloud-init, holding a password) to make readable by the group only. */
  readonly datasourceFiles: readonly string[];
  /** Archives to deploy (none, or the customer's BPM application). */
  readonly archives: readonly WildflyDeploymentArchiveModel[];
}

/** Renders the POSIX shell script that installs WildFly from its release tarball. */
export function renderWildflyInstallScript(model: WildflyInstallModel): string {
  return renderTemplate('wildfly-install.sh.hbs', model);
}

/** The systemd unit running WildFly standalone. */
export interface WildflyServiceModel {
  /** WildFly version (for the description). */
  readonly version: string;
  /** Install folder. */
  readonly home: string;
  /** User and group. */
  readonly user: string;
  /** Address of the public interface (HTTP), the server's planned address. */
  readonly bindAddress: string;
  /** HTTP port. */
  readonly httpPort: number;
  /** Address of the management interface. */
  readonly managementAddress: string;
  /** Management HTTP port. */
  readonly managementPort: number;
}

/** Renders `/etc/systemd/system/wildfly.service`. */
export function renderWildflyServiceUnit(model: WildflyServiceModel): string {
  return renderTemplate('wildfly.service.hbs', model);
}

/** The JVM options of `bin/standalone.conf`. */
export interface WildflyStandaloneConfModel {
  /** Heap (`-Xms` = `-Xmx`) in MB. */
  readonly heapMb: number;
  /** `-XX:MaxMetaspaceSize` in MB. */
  readonly maxMetaspaceMb: number;
}

/** Renders `/opt/wildfly/bin/standalone.conf` (sourced by `standalone.sh`). */
export function renderWildflyStandaloneConf(model: WildflyStandaloneConfModel): string {
  return renderTemplate('wildfly-standalone.conf.hbs', model);
}

/** A deployable datasource. */
export interface WildflyDatasourceModel {
  /** JNDI name, e.g. `java:jboss/datasources/OrderTrackingDS`. */
  readonly jndiName: string;
  /** Pool name. */
  readonly poolName: string;
  /** JDBC URL. */
  readonly connectionUrl: string;
  /** Driver name: the deployed driver jar's file name. */
  readonly driverName: string;
  /** Database account. */
  readonly userName: string;
  /** Password, already XML-escaped (a Terraform reference in a stack). */
  readonly password: string;
  /** Connections kept open. */
  readonly minPoolSize: number;
  /** Connections at most. */
  readonly maxPoolSize: number;
}

/** Renders a `*-ds.xml` for `standalone/deployments` (IronJacamar datasource schema). */
export function renderWildflyDatasource(model: WildflyDatasourceModel): string {
  return renderTemplate('wildfly-ds.xml.hbs', model);
}

/** The MariaDB Connector/J URL of a database: `jdbc:mariadb://host:port/schema`. */
export function mariadbJdbcUrl(host: string, port: number, databaseName: string): string {
  return `jdbc:mariadb://${host}:${port}/${databaseName}`;
}
