import {
  CampaignCalendar, Flavor, HaproxyBalancer, HealthCheck, HostingStack, LoadShedding, MiniSite, OctaviaBalancer, OctaviaCertificate, OrderTracking, Peer, Port, ServerCluster, SharedFiles, VrrpPair,
} from '../../../lib';
import { BadInputRow, Phase, backedUpDatabase, lvs, shop, tier } from '../bad-input-support';

/** What a URL path may hold (TextKind.URL_PATH), as the message says it. */
const URL_PATH_ALLOWED = "must start with '\\/' and hold only URL path characters: letters, digits, '\\/', '%XX' and -\\._~!\\*\\+,=:@& \\(no space, quote, query, line break or other syntax character\\)";
/** What free text may hold (TextKind.FREE_TEXT). */
const FREE_TEXT_ALLOWED = 'must be one line of 1 to 1024 characters, not all spaces, without line breaks or other control characters';

/**
 * Bad input of issue 10's class 'injection': a value that would reach a rendered config and could
 * add a directive (a line break) or change one (a quote, a space, a comment sign).
 */
export const ROWS: readonly BadInputRow[] = [
  {
    kind: 'haproxy health-check path carrying an extra server line',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const lb = new HaproxyBalancer(stack, 'Lb', { vswitch: net, adminCidr: '198.51.100.0/24' });
      lb.addTarget(tier(stack, net), { port: 80, healthCheck: HealthCheck.http({ path: '/ok\r\n    server evil 203.0.113.66:80' }) });
    },
    error: new RegExp(`^shop/Lb: 'healthCheck\\.path' \\('/ok\\\\r\\\\n    server evil 203\\.0\\.113\\.66:80'\\) ${URL_PATH_ALLOWED}$`),
  },
  {
    kind: 'keepalived health-check path with a double quote and a space',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      lvs(stack, net).addTarget(tier(stack, net), { port: 80, healthCheck: HealthCheck.http({ path: '/ok" digest 0' }) });
    },
    error: new RegExp(`^shop/Lb: 'healthCheck\\.path' \\('/ok" digest 0'\\) ${URL_PATH_ALLOWED}$`),
  },
  {
    kind: 'order-tracking health path adding an Apache ProxyPass',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const { db } = backedUpDatabase(stack, net);
      new OrderTracking(stack, 'Orders', { vswitch: net, flavor: Flavor.named('b3-8'), database: db, healthCheckPath: '/\nProxyPass /admin http://203.0.113.66/' });
    },
    error: new RegExp(`^shop/Orders: 'healthCheckPath' \\('/\\\\nProxyPass /admin http://203\\.0\\.113\\.66/'\\) ${URL_PATH_ALLOWED}$`),
  },
  {
    kind: 'download URL with a NUL byte',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const { db } = backedUpDatabase(stack, net);
      new OrderTracking(stack, 'Orders', {
        vswitch: net, flavor: Flavor.named('b3-8'), database: db, bpmArchive: { url: 'https://example.com/bpm\u0000.war', sha256: 'a'.repeat(64), fileName: 'bpm.war' },
      });
    },
    error: /^shop\/Orders: 'bpmArchive\.url' \('https:\/\/example\.com\/bpm\\u0000\.war'\) must be an http\(s\) URL without spaces, quotes, control characters, user info or fragment: a host name or IPv4 address, an optional port, then a path and query of letters, digits, '\/', '\?', '%XX' and -\._~!\*\+,=:@&$/,
  },
  {
    kind: 'security-rule description with a line break (host firewall comment)',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      tier(stack, net).connections.allowFrom(Peer.ipv4('198.51.100.0/24'), Port.tcp(443), 'partners\n        accept');
    },
    error: new RegExp(`^shop/Web: 'description' \\('partners\\\\n        accept'\\) ${FREE_TEXT_ALLOWED}$`),
  },
  {
    kind: 'internet reason with an escape character',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      tier(stack, net).connections.allowFromInternet(Port.tcp(80), 'public site\u001b[2K');
    },
    error: new RegExp(`^shop/Web: 'reason' \\('public site\\\\u001b\\[2K'\\) ${FREE_TEXT_ALLOWED}$`),
  },
  {
    kind: 'VRRP role carrying a line break',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new VrrpPair(stack, 'Pair', { vswitch: net, adminCidr: '198.51.100.0/24', role: 'nodes\r\nevil' });
    },
    error: new RegExp(`^shop/Pair: 'role' \\('nodes\\\\r\\\\nevil'\\) ${FREE_TEXT_ALLOWED}$`),
  },  // Values the constructs' own patterns let through before every string passed its TextKind first.
  {
    kind: 'NFS mount point carrying a line break (systemd mount unit)',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const web = new ServerCluster(stack, 'Web', { vswitch: net, count: 1, flavor: Flavor.named('b3-8') });
      new SharedFiles(stack, 'Media', { sizeGb: 10, vswitch: net }).mountOn(web.instances[0], '/var/www/media\nWhat=203.0.113.66:/');
    },
    error: /^shop\/Media: 'mountPoint' \('\/var\/www\/media\\nWhat=203\.0\.113\.66:\/'\) must be an absolute path other than '\/' of letters, digits, '\.', '_' and '-' segments/,
  },
  {
    kind: 'built-in mini-site title with a Unicode line separator',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const loadShedding = LoadShedding.toMiniSite({ miniSite: MiniSite.builtinPage({ title: 'Very busy\u2028evil' }), perServerCapacity: 20 });
      new HaproxyBalancer(stack, 'Lb', { vswitch: net, adminCidr: '198.51.100.0/24', loadShedding });
    },
    error: /^shop\/Lb: 'loadShedding\.miniSite\.title' \('Very busy\\u2028evil'\) must be 1 to 500 characters of text on one line \(no control characters\)$/,
  },
  {
    kind: 'Barbican reference with a double quote in its host part',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new OctaviaBalancer(stack, 'Lb', {
        vswitch: net,
        tls: { certificate: OctaviaCertificate.fromContainerRef('https://key-manager.gra.cloud.ovh.net/x"y/v1/secrets/6d1b1f64-1c43-4d5f-8a1e-3f6b0c9e2a71'), redirectPrefix: 'https://www.example.com' },
      });
    },
    error: /^shop\/Lb: 'tls\.certificate' \('https:\/\/key-manager\.gra\.cloud\.ovh\.net\/x"y\/v1\/secrets\/6d1b1f64-1c43-4d5f-8a1e-3f6b0c9e2a71'\) must be a Barbican secret or container reference/,
  },
  {
    kind: 'campaign checkout directory climbing out with ..',
    phase: Phase.BUILD,
    build: (app) => new CampaignCalendar(new HostingStack(app, 'shop'), 'Campaigns', { checkoutDirectory: '/srv/../etc' }),
    error: /^shop\/Campaigns: 'checkoutDirectory' \('\/srv\/\.\.\/etc'\) must be an absolute path of letters, digits, '\.', '_', '-' and '\/' without '\.' or '\.\.' segments/,
  },
];
