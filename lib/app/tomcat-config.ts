import { renderTemplate } from '../config/template';
import { escapeXml } from '../config/xml';
import { checkText, TextKind } from '../core/text';
import { HostingStacksError } from '../core/errors';

/** Tomcat's own default of request-processing threads per connector. */
export const TOMCAT_DEFAULT_MAX_THREADS = 200;

/** Tomcat's own default of connections queued by the OS when every thread is busy. */
export const TOMCAT_DEFAULT_ACCEPT_COUNT = 100;

/** The HTTP connector and engine of `/etc/tomcat10/server.xml`. */
export interface TomcatServerConfig {
  /** Address the HTTP connector binds to (the server's planned address). */
  readonly address: string;
  /** TCP port of the HTTP connector. */
  readonly port: number;
  /** Request-processing threads. */
  readonly maxThreads: number;
  /** Threads kept alive when idle. */
  readonly minSpareThreads: number;
  /** Connections the OS queues when every thread is busy; beyond it connections are refused. */
  readonly acceptCount: number;
  /** Connections accepted and kept open at once (NIO: more than threads, idle keep-alives do not hold one). */
  readonly maxConnections: number;
  /** Milliseconds to wait for the request line after a connection opens (also the keep-alive timeout). */
  readonly connectionTimeoutMs: number;
  /** Regular expression (java.util.regex) of the reverse proxies whose X-Forwarded-For is believed; empty trusts none. */
  readonly internalProxies: string;
  /** Host name of the single `<Host>`. */
  readonly hostName: string;
  /** Folder of the deployed web applications, relative to CATALINA_BASE or absolute. */
  readonly appBase: string;
  /** Folder of the access log, relative to CATALINA_BASE or absolute. */
  readonly accessLogDirectory: string;
  /** AccessLogValve pattern; `%a` is the client address after RemoteIpValve. */
  readonly accessLogPattern: string;
}

/** A JNDI DataSource (Tomcat DBCP2) in an application's context. */
export interface TomcatDataSource {
  /** JNDI name under `java:comp/env`, e.g. `jdbc/app`. */
  readonly name: string;
  /** JDBC driver class. */
  readonly driverClassName: string;
  /** JDBC URL. */
  readonly url: string;
  /** Database user. */
  readonly username: string;
  /** Password; raw text is XML-escaped here, a Terraform reference must be escaped at apply by the caller. */
  readonly password: string;
  /** Connections open at once at most. */
  readonly maxTotal: number;
  /** Idle connections kept at most. */
  readonly maxIdle: number;
  /** Milliseconds a request waits for a free connection before failing. */
  readonly maxWaitMillis: number;
  /** Query run to check a borrowed connection. */
  readonly validationQuery: string;
}

/** An application context file (`/etc/tomcat10/Catalina/localhost/ROOT.xml`). */
export interface TomcatContextConfig {
  /** JNDI DataSources. */
  readonly dataSources: readonly TomcatDataSource[];
}

/** The service settings `/etc/default/tomcat10`, sourced by Debian's `tomcat-start.sh`. */
export interface TomcatDefaultsConfig {
  /** Java heap in MB, used for both `-Xms` and `-Xmx`. */
  readonly heapMb: number;
  /** Further JVM options, one per entry, without spaces or quotes. */
  readonly extraJavaOptions: readonly string[];
}

/** Renders `server.xml` from `templates/tomcat-server.xml.hbs`: HTTP connector only, no AJP, shutdown port off. */
export function renderTomcatServerXml(config: TomcatServerConfig): string {
  return renderTemplate('tomcat-server.xml.hbs', escapeXmlStrings(config));
}

/** Renders a context file from `templates/tomcat-context.xml.hbs`. */
export function renderTomcatContextXml(config: TomcatContextConfig): string {
  return renderTemplate('tomcat-context.xml.hbs', escapeXmlStrings(config));
}

/** The ROOT application's `WEB-INF/web.xml` mapping the health page. */
export interface TomcatHealthWebXmlConfig {
  /** URL path of the health page (`/healthz`). */
  readonly path: string;
  /** The JSP inside the application (`/WEB-INF/hosting-stacks-health.jsp`). */
  readonly jspPath: string;
  /** JNDI name of its DataSource (`jdbc/health`). */
  readonly jndiName: string;
  /** JNDI names of the DataSources it reports on without failing on them. @default - none */
  readonly reportedJndiNames?: readonly string[];
}

/** What the health JSP checks and reports. */
export interface TomcatHealthJspConfig {
  /** JNDI name of the DataSource whose `SELECT 1` decides 200 or 503. */
  readonly jndiName: string;
  /** Seconds it waits for a connection and for each `SELECT 1`. */
  readonly timeoutSeconds: number;
  /** Databases reported on a line each (`<name>: ok` or `<name>: unavailable ...`), never failing the page. @default - none */
  readonly reported?: readonly { readonly name: string; readonly jndiName: string }[];
}

/** Renders the ROOT application's `WEB-INF/web.xml` from `templates/tomcat-health-web.xml.hbs`. */
export function renderTomcatHealthWebXml(config: TomcatHealthWebXmlConfig): string {
  return renderTemplate('tomcat-health-web.xml.hbs', escapeXmlStrings(config));
}

/** Renders the health JSP from `templates/tomcat-health.jsp.hbs`: 200 when `SELECT 1` succeeds through `jndiName`, else 503. */
export function renderTomcatHealthJsp(config: TomcatHealthJspConfig): string {
  const word = { pattern: /^[A-Za-z0-9/_-]+$/, allowed: "must be letters, digits, '/', '_' and '-'" };
  for (const [prop, value] of [['jndiName', config.jndiName], ...(config.reported ?? []).flatMap((r, i) => [[`reported[${i}].name`, r.name], [`reported[${i}].jndiName`, r.jndiName]])]) {
    const problem = checkText(value, TextKind.WORD, word);
    if (problem) throw HostingStacksError.ofFactory('renderTomcatHealthJsp', prop, value, problem);
  }
  return renderTemplate('tomcat-health.jsp.hbs', { ...config, reported: config.reported ?? [] });
}

/** Renders `/etc/default/tomcat10` from `templates/tomcat-default.hbs`. */
export function renderTomcatDefaults(config: TomcatDefaultsConfig): string {
  for (const option of config.extraJavaOptions) {
    const problem = checkText(option, TextKind.WORD, { pattern: /^-[A-Za-z0-9:+=._/-]+$/, allowed: 'must be one word of letters, digits and : + = . _ / -' });
    if (problem) throw HostingStacksError.ofFactory('renderTomcatDefaults', 'extraJavaOptions', option, problem);
  }
  return renderTemplate('tomcat-default.hbs', config);
}

/** A copy of `value` with every string XML-escaped, for templates that write attribute values. */
function escapeXmlStrings<T>(value: T): T {
  if (typeof value === 'string') return escapeXml(value) as T;
  if (Array.isArray(value)) return value.map((v) => escapeXmlStrings(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeXmlStrings(v)])) as T;
  }
  return value;
}
