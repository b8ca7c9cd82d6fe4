import {
  AppTier,
  BackupSchedule,
  CampaignCalendar,
  CapacityModel,
  CountryEntrances,
  DeploymentServer,
  EntryBalancer,
  Flavor,
  HaproxyBalancer,
  HealthCheck,
  HostingStack,
  LoadShedding,
  LvsBalancer,
  OfficeVpn,
  OrderTracking,
  IMysqlDatabase,
  IServerTier,
  MysqlReplication,
  MiniSite,
  OctaviaBalancer,
  OctaviaCertificate,
  Peer,
  Port,
  PrivateVSwitch,
  PrometheusScaling,
  ReactiveRule,
  RedisServer,
  ScalingRules,
  Secret,
  ServerCluster,
  StateBackend,
  VeeamBackup,
  WebTier,
} from '../../../lib';
import { CountedTargets } from '../../../lib/compute/counted-targets';
import { BadInputRow, Phase, lvs, shop, tier } from '../bad-input-support';

/** What a JavaScript caller can pass where TypeScript expects another type. */
const untyped = <T>(value: unknown): T => value as T;

/** A second stack `other` with its own /24 vSwitch `Net` and a scalable AppTier `App` on it. */
function otherStack(app: Parameters<BadInputRow['build']>[0]) {
  const stack = new HostingStack(app, 'other');
  const net = new PrivateVSwitch(stack, 'Net', { cidr: '10.9.1.0/24' });
  const appTier = new AppTier(stack, 'App', { vswitch: net, count: 2, minCount: 2, maxCount: 4, flavor: Flavor.named('b3-8') });
  return { stack, net, appTier };
}

/**
 * Bad input of issue 10's classes 'secrets' (4), 'crashes instead of errors' (5) and 'wiring
 * across stacks' (6): every peer a construct receives is checked for its kind and its stack by
 * lib/core/peers.ts, so each gives a HostingStacksError instead of a TypeError or broken output.
 */
export const ROWS: readonly BadInputRow[] = [
  // --- Secrets (class 4) -----------------------------------------------------------------------
  {
    kind: 'password given as a plain string',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new MysqlReplication(stack, 'Db', { vswitch: net, flavor: Flavor.named('b3-8'), databaseName: 'shop', applicationPassword: untyped('hunter2') });
    },
    // The message describes the string; it never shows it.
    error: /^shop\/Db: 'applicationPassword' \('<a string of 7 characters>'\) must be a Secret made by Secret\.variable\(scope, name, description\); a password is never given in plain text$/,
  },
  {
    kind: 'object that looks like a Secret',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new RedisServer(stack, 'Redis', { vswitch: net, flavor: Flavor.named('b3-8'), password: untyped({ variableName: 'redis_password', value: 'hunter2' }) });
    },
    error: /^shop\/Redis: 'password' \('<an object \{variableName, value\}>'\) must be a Secret made by Secret\.variable\(scope, name, description\)/,
  },
  {
    kind: 'look-alike Secret where the Octavia certificate reference is held',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new OctaviaBalancer(stack, 'Entry', {
        vswitch: net,
        tls: { certificate: OctaviaCertificate.fromSecret(untyped({ variableName: 'tls_ref', value: 'https://key-manager.example/v1/secrets/x' })), redirectPrefix: 'https://www.example.com' },
      });
    },
    error: /^OctaviaCertificate\.fromSecret: 'secret' \('<an object \{variableName, value\}>'\) must be a Secret made by Secret\.variable/,
  },
  {
    kind: 'Barbican reference string where an OctaviaCertificate is taken',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new OctaviaBalancer(stack, 'Entry', {
        vswitch: net,
        tls: { certificate: untyped('https://key-manager.gra.cloud.ovh.net/v1/secrets/6d1b1f64-1c43-4d5f-8a1e-3f6b0c9e2a71'), redirectPrefix: 'https://www.example.com' },
      });
    },
    // The value is shown cut to 80 characters.
    error: /^shop\/Entry: 'tls\.certificate' \('https:\/\/key-manager\.gra\.cloud\.ovh\.net\/v1\/secrets\/6d1b1f64-[^']*\.\.\.'\) must be an OctaviaCertificate \(OctaviaCertificate\.fromContainerRef\(ref\) or OctaviaCertificate\.fromSecret\(secret\)\)$/,
  },
  {
    kind: "Secret of another stack's variable",
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const other = new HostingStack(app, 'other');
      new RedisServer(stack, 'Redis', { vswitch: net, flavor: Flavor.named('b3-8'), password: Secret.variable(other, 'redis_password', 'elsewhere') });
    },
    error: /^shop\/Redis: 'password' \('<Secret var\.redis_password>'\) is in stack 'other'; it must be in the same stack 'shop' \(wiring across stacks is not supported\)/,
  },

  // --- Kinds of peers (class 5) ----------------------------------------------------------------
  {
    kind: 'flavor given as a string',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new ServerCluster(stack, 'Web', { vswitch: net, count: 1, flavor: untyped('b3-8') });
    },
    error: /^shop\/Web: 'flavor' \('b3-8'\) must be a Flavor \(Flavor\.named\('b3-8'\), Flavor\.fromSizing\(\.\.\.\) or Flavor\.custom\(\.\.\.\)\)/,
  },
  {
    kind: 'missing flavor',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new MysqlReplication(stack, 'Db', untyped({ vswitch: net, databaseName: 'shop' }));
    },
    error: /^shop\/Db: 'flavor' \(undefined\) must be a Flavor \(Flavor\.named/,
  },
  {
    kind: 'vSwitch given as a CIDR string',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack } = shop(app);
      new ServerCluster(stack, 'Web', { vswitch: untyped('10.0.1.0/24'), count: 1, flavor: Flavor.named('b3-8') });
    },
    error: /^shop\/Web: 'vswitch' \('10\.0\.1\.0\/24'\) must be a PrivateVSwitch$/,
  },
  {
    kind: 'Redis where a database is expected',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const redis = new RedisServer(stack, 'Redis', { vswitch: net, flavor: Flavor.named('b3-8') });
      new AppTier(stack, 'App', { vswitch: net, count: 2, flavor: Flavor.named('b3-8'), database: untyped<IMysqlDatabase>(redis) });
    },
    error: /^shop\/App: 'database' \('<RedisServer shop\/Redis>'\) must be a MySQL database \(IMysqlDatabase, e\.g\. a MysqlReplication\)/,
  },
  {
    kind: 'web tier whose upstream is a database',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const db = new MysqlReplication(stack, 'Db', { vswitch: net, flavor: Flavor.named('b3-8'), databaseName: 'shop' });
      new WebTier(stack, 'Web', { vswitch: net, count: 2, flavor: Flavor.named('b3-8'), upstream: untyped(db) });
    },
    error: /^shop\/Web: 'upstream' \('<MysqlReplication shop\/Db>'\) must be an HTTP backend \(IHttpBackend, e\.g\. an AppTier, OrderTracking or MagentoFrontends\)/,
  },
  {
    kind: 'balancer target that is not a server tier',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      lvs(stack, net).addTarget(untyped<IServerTier>(net), { port: 80 });
    },
    error: /^shop\/Lb: 'tier' \('<PrivateVSwitch shop\/Net>'\) must be a server tier \(IServerTier/,
  },
  {
    kind: 'backup schedule given as a string',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const db = new MysqlReplication(stack, 'Db', { vswitch: net, flavor: Flavor.named('b3-8'), databaseName: 'shop' });
      new VeeamBackup(stack, 'Backup', { vswitch: net, region: 'GRA11' }).addPolicy('database', { servers: [db], schedule: untyped('daily'), rotation: 7 });
    },
    error: /^shop\/Backup\/database: 'schedule' \('daily'\) must be a BackupSchedule \(BackupSchedule\.daily\(\.\.\.\), \.weekly\(\.\.\.\) or \.everyHours\(\.\.\.\)\)/,
  },
  {
    kind: 'port given as a number where a Port is taken',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const web = tier(stack, net);
      web.connections.allowFrom(tier(stack, net, 'App'), untyped<Port>(80));
    },
    error: /^shop\/Web: 'port' \(80\) must be a Port \(Port\.tcp\(443\)/,
  },
  {
    kind: 'construct given no props',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack } = shop(app);
      new PrivateVSwitch(stack, 'Back', untyped(undefined));
    },
    error: /^shop\/Back: 'props' \(undefined\) must be an object of props$/,
  },

  // --- Nested option objects (class 5): checked as objects of known keys before any member is read
  {
    kind: 'LvsBalancer given no props',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack } = shop(app);
      new LvsBalancer(stack, 'Lb', untyped(undefined));
    },
    error: /^shop\/Lb: 'props' \(undefined\) must be an object of props$/,
  },
  {
    kind: 'HaproxyBalancer given a string as props',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack } = shop(app);
      new HaproxyBalancer(stack, 'Lb', untyped('10.0.1.0/24'));
    },
    error: /^shop\/Lb: 'props' \('10\.0\.1\.0\/24'\) must be an object of props$/,
  },
  {
    kind: 'health check given as a plain object',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      lvs(stack, net).addTarget(tier(stack, net), { port: 80, healthCheck: untyped<HealthCheck>({ path: '/ok', intervalSeconds: 2 }) });
    },
    error: /^shop\/Lb: 'healthCheck' \('<an object \{path, intervalSeconds\}>'\) must be a HealthCheck \(HealthCheck\.http\(\.\.\.\) or HealthCheck\.tcp\(\.\.\.\)\)$/,
  },
  {
    kind: 'balancer target options with a misspelt key',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      lvs(stack, net).addTarget(tier(stack, net), untyped({ port: 80, healthcheck: HealthCheck.tcp() }));
    },
    error: /^shop\/Lb: 'options\.healthcheck' \('<a HealthCheck \{.*\}>'\) is not an option here; the options are port, healthCheck, weight$/,
  },
  {
    kind: 'database client demand missing',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new MysqlReplication(stack, 'Db', { vswitch: net, flavor: Flavor.named('b3-8'), databaseName: 'shop' }).addClient(untyped(undefined));
    },
    error: /^shop\/Db: 'addClient' \(undefined\) must be an object of options \(client, servers, connectionsPerServer, bound\)$/,
  },
  {
    kind: 'database client that is no construct',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new MysqlReplication(stack, 'Db', { vswitch: net, flavor: Flavor.named('b3-8'), databaseName: 'shop' })
        .addClient({ client: untyped('web'), servers: 2, connectionsPerServer: 10, bound: 'pool' });
    },
    error: /^shop\/Db: 'addClient\.client' \('web'\) must be a construct$/,
  },
  {
    kind: 'office peer given as null',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new OfficeVpn(stack, 'Vpn', { vswitch: net, officeCidrs: ['192.168.10.0/24'], officePeers: untyped([null]) });
    },
    error: /^shop\/Vpn: 'officePeers\[0\]' \(null\) must be an object of options \(name, allowedIps, publicKey, endpointAddress\)$/,
  },
  {
    kind: 'BPM archive given as a URL string',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const db = new MysqlReplication(stack, 'Db', { vswitch: net, flavor: Flavor.named('b3-8'), databaseName: 'shop' });
      new OrderTracking(stack, 'Tracking', { vswitch: net, flavor: Flavor.named('b3-8'), database: db, bpmArchive: untyped('https://example.com/bpm.war') });
    },
    error: /^shop\/Tracking: 'bpmArchive' \('https:\/\/example\.com\/bpm\.war'\) must be an object of options \(url, sha256, fileName\)$/,
  },
  {
    kind: 'counted targets following a tier instead of its cluster',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const web = tier(stack, net);
      const host = new ServerCluster(stack, 'Monitor', { vswitch: net, count: 1, flavor: Flavor.named('b3-8') }).instances[0];
      CountedTargets.of(host).follow(untyped(web));
    },
    error: /^shop\/Monitor\/Instance1: 'follow' \('<ClusterTier shop\/Web\/Tier>'\) must be a ServerCluster$/,
  },
  {
    kind: 'capacity model for something that is no tier',
    phase: Phase.BUILD,
    build: (app) => {
      const { net } = shop(app);
      CapacityModel.forTier(untyped(net));
    },
    error: /^CapacityModel\.forTier: 'tier' \('<PrivateVSwitch shop\/Net>'\) must be a server tier \(IServerTier/,
  },
  {
    kind: 'capacity model option misspelt',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      CapacityModel.forTier(tier(stack, net), untyped({ userPerInstance: 50 }));
    },
    error: /^shop\/Web\/Tier: 'capacity\.userPerInstance' \(50\) is not an option here; the options are usersPerInstance, headroom, bootMinutes, requestsPerUserPerSecond, requestSeconds, demandShare$/,
  },
  {
    kind: 'state backend given as a plain object',
    phase: Phase.BUILD,
    build: (app) => {
      new HostingStack(app, 'shop', { stateBackend: untyped({ bucket: 'tfstate', region: 'gra' }) });
    },
    error: /^shop: 'stateBackend' \('<an object \{bucket, region\}>'\) must be a StateBackend \(StateBackend\.local\(\) or StateBackend\.ovhObjectStorage\(\.\.\.\)\)$/,
  },
  {
    kind: 'policy pack given as a list of rules',
    phase: Phase.BUILD,
    build: (app) => {
      new HostingStack(app, 'shop', { policyPack: untyped([]) });
    },
    error: /^shop: 'policyPack' \('<an array of 0 items>'\) must be a PolicyPack \(PolicyPack\.default\(\) or new PolicyPack\(\[\.\.\.rules\]\)\)$/,
  },
  {
    kind: 'health check options given as null',
    phase: Phase.BUILD,
    build: () => {
      HealthCheck.http(untyped(null));
    },
    error: /^HealthCheck\.http: 'options' \(null\) must be an object of options \(path, expectedStatus, intervalSeconds, timeoutSeconds, unhealthyThreshold, healthyThreshold\)$/,
  },
  {
    kind: 'reactive rule option misspelt',
    phase: Phase.BUILD,
    build: () => {
      ReactiveRule.cpu(untyped({ scaleOutAbov: 0.7 }));
    },
    error: /^ReactiveRule\.cpu: 'options\.scaleOutAbov' \(0\.7\) is not an option here; the options are scaleOutAbove, /,
  },
  {
    kind: 'state backend factory given no props',
    phase: Phase.BUILD,
    build: () => {
      StateBackend.ovhObjectStorage(untyped('tfstate'));
    },
    error: /^StateBackend\.ovhObjectStorage: 'options' \('tfstate'\) must be an object of options \(bucket, region, key\)$/,
  },
  {
    kind: 'backup policy given no options',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new VeeamBackup(stack, 'Backup', { vswitch: net, region: 'GRA11' }).addPolicy('database', untyped(null));
    },
    error: /^shop\/Backup: 'options' \(null\) must be an object of options \(servers, schedule, rotation, volumeBackups, offsiteCopy, rtoMinutes, rpoHours\)$/,
  },
  {
    kind: 'campaign peak given as a number',
    phase: Phase.BUILD,
    build: (app) => {
      new CampaignCalendar(new HostingStack(app, 'shop'), 'Campaigns').addCampaign('black-friday', { start: '2027-11-26T00:00', end: '2027-11-29T00:00', peak: untyped(3000) });
    },
    error: /^shop\/Campaigns: 'campaigns\.black-friday\.peak' \(3000\) must be an object of options \(concurrentUsers, visitorsPerDay, ordersPerDay\)$/,
  },
  {
    kind: 'deployment recipe given as a directory string',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new DeploymentServer(stack, 'Deploy', { vswitch: net, adminCidrs: ['203.0.113.0/28'] }).addTarget(tier(stack, net), untyped('/var/www/shop'));
    },
    error: /^shop\/Deploy: 'recipe' \('\/var\/www\/shop'\) must be an object of options \(directory, excludes, afterSync\)$/,
  },

  {
    kind: 'haproxy entry balancer without adminCidr',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new CountryEntrances(stack, 'Entrances', { vswitch: net, frontends: tier(stack, net), countries: ['ES'], entryBalancer: EntryBalancer.haproxyPair(untyped({ flavor: Flavor.named('b3-8') })) });
    },
    error: /^EntryBalancer\.haproxyPair: 'options\.adminCidr' \(undefined\) is required: a CIDR string, e\.g\. '203\.0\.113\.0\/24', the only network SSH to the haproxy nodes is allowed from$/,
  },
  {
    kind: 'Octavia flavor id given to the haproxy entry balancer',
    phase: Phase.BUILD,
    build: () => {
      EntryBalancer.haproxyPair(untyped({ adminCidr: '198.51.100.0/24', flavorId: '9a4f5c1e-0d3b-4c7a-8f2e-6b1d0e9c3a57' }));
    },
    error: /^EntryBalancer\.haproxyPair: 'options\.flavorId' \('9a4f5c1e-0d3b-4c7a-8f2e-6b1d0e9c3a57'\) is not an option here; the options are adminCidr, flavor, loadShedding, tls$/,
  },
  {
    kind: 'load shedding given to the Octavia entry balancer',
    phase: Phase.BUILD,
    build: () => {
      EntryBalancer.octavia(untyped({ loadShedding: LoadShedding.toMiniSite({ miniSite: MiniSite.builtinPage(), perServerCapacity: 20 }) }));
    },
    error: /^EntryBalancer\.octavia: 'options\.loadShedding' \('<a LoadShedding \{.*\}>'\) is not an option here; the options are flavorId, tls$/,
  },
  {
    kind: 'haproxy flavor given as a name to the haproxy entry balancer',
    phase: Phase.BUILD,
    build: () => {
      EntryBalancer.haproxyPair({ adminCidr: '198.51.100.0/24', flavor: untyped('b3-8') });
    },
    error: /^EntryBalancer\.haproxyPair: 'options\.flavor' \('b3-8'\) must be a Flavor \(Flavor\.named\('b3-8'\)/,
  },
  {
    kind: "country entrances given the old 'kind' switch",
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new CountryEntrances(stack, 'Entrances', untyped({ vswitch: net, frontends: tier(stack, net), countries: ['ES'], kind: 'keepalived-haproxy', adminCidr: '198.51.100.0/24' }));
    },
    error: /^shop\/Entrances: 'props\.kind' \('keepalived-haproxy'\) is not an option here; the options are vswitch, frontends, port, healthCheck, countries, entryBalancer, concurrentUsersPerCountry, concurrentUsersTotal, externalNetwork$/,
  },
  {
    kind: 'entry balancer given as a plain object',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new CountryEntrances(stack, 'Entrances', { vswitch: net, frontends: tier(stack, net), countries: ['ES'], entryBalancer: untyped({ kind: 'octavia' }) });
    },
    error: /^shop\/Entrances: 'entryBalancer' \('<an object \{kind\}>'\) must be an EntryBalancer \(EntryBalancer\.octavia\(\{ flavorId, tls \}\) or EntryBalancer\.haproxyPair\(\{ adminCidr, flavor, loadShedding, tls \}\)\)$/,
  },

  // --- Wiring across stacks (class 6) ----------------------------------------------------------
  {
    kind: "web tier proxying to another stack's app tier",
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const other = otherStack(app);
      new WebTier(stack, 'Web', { vswitch: net, count: 2, flavor: Flavor.named('b3-8'), upstream: other.appTier });
    },
    error: /^shop\/Web: 'upstream' \('<AppTier other\/App>'\) is in stack 'other'; it must be in the same stack 'shop' \(wiring across stacks is not supported\)/,
  },
  {
    kind: "cluster on another stack's vSwitch",
    phase: Phase.BUILD,
    build: (app) => {
      const { stack } = shop(app);
      const other = otherStack(app);
      new ServerCluster(stack, 'Web', { vswitch: other.net, count: 1, flavor: Flavor.named('b3-8') });
    },
    error: /^shop\/Web: 'vswitch' \('<PrivateVSwitch other\/Net>'\) is in stack 'other'; it must be in the same stack 'shop'/,
  },
  {
    kind: "scaling rules handed to another stack's monitoring",
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const other = otherStack(app);
      const rules = new ScalingRules(other.stack, 'AppScaling', { tier: other.appTier, reactive: [ReactiveRule.cpu()] });
      new PrometheusScaling(stack, 'Monitoring', { vswitch: net, rules: [rules] });
    },
    error: /^shop\/Monitoring: 'rules\[0\]' \('<ScalingRules other\/AppScaling>'\) is in stack 'other'; it must be in the same stack 'shop'/,
  },
  {
    kind: "security-group rule from another stack's tier",
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const other = otherStack(app);
      tier(stack, net).connections.allowFrom(other.appTier, Port.tcp(80));
    },
    error: /^shop\/Web: 'peer' \('<AppTier other\/App>'\) is in stack 'other'; it must be in the same stack 'shop'/,
  },
  {
    kind: 'admin peer given as the construct itself, not as Peer.of(construct)',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new VeeamBackup(stack, 'Backup', { vswitch: net, region: 'GRA11', adminPeer: untyped<Peer>(tier(stack, net, 'Jump')) });
    },
    error: /^shop\/Backup: 'adminPeer' \('<ClusterTier shop\/Jump\/Tier>'\) must be a Peer \(Peer\.ipv4\('198\.51\.100\.0\/24'\) or Peer\.of\(construct with connections\)\)$/,
  },
  {
    kind: 'Peer.of given something without connections',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new PrometheusScaling(stack, 'Monitoring', { vswitch: net, rules: [], adminPeer: Peer.of(untyped(net)) });
    },
    error: /^Peer\.of: 'connectable' \('<PrivateVSwitch shop\/Net>'\) must be a construct with connections \(IConnectable: a tier, a cluster, a server\)$/,
  },
  {
    kind: "admin peer of another stack's construct",
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const other = otherStack(app);
      new VeeamBackup(stack, 'Backup', { vswitch: net, region: 'GRA11', adminPeer: Peer.of(other.appTier) });
    },
    error: /^shop\/Backup: 'adminPeer' \('Peer\.of\(<AppTier other\/App>\)'\) is in stack 'other'; it must be in the same stack 'shop'/,
  },
  {
    kind: "backup policy over another stack's database",
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const other = otherStack(app);
      const db = new MysqlReplication(other.stack, 'Db', { vswitch: other.net, flavor: Flavor.named('b3-8'), databaseName: 'shop' });
      new VeeamBackup(stack, 'Backup', { vswitch: net, region: 'GRA11' }).addPolicy('database', { servers: [db], schedule: BackupSchedule.daily('02:00'), rotation: 7 });
    },
    error: /^shop\/Backup\/database: 'servers\[0\]' \('<MysqlReplication other\/Db>'\) is in stack 'other'; it must be in the same stack 'shop'/,
  },
];

