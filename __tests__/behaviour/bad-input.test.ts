/**
 * Bad input, one kind per row: each row builds a stack with exactly one bad input and expects a
 * clear error naming the construct path, the prop, the value given and what is allowed, and no file
 * written by synth. Constructor errors and synth validations are both covered; a row says which.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AppTier,
  BackupSchedule,
  CampaignCalendar,
  Flavor,
  HealthCheck,
  HostingApp,
  HostingStack,
  HostingStacksError,
  IHttpBackend,
  MysqlReplication,
  NfsBackend,
  OctaviaBalancer,
  OfficeVpn,
  OrderTracking,
  Peer,
  Port,
  PrivateVSwitch,
  Secret,
  ServerCluster,
  SharedFiles,
  SolrServer,
  StaticContentServer,
  SynthValidationError,
  VeeamBackup,
  WebTier,
} from '../../lib';
import { CLOSED_OFFICE, MdEntries, MonsieurDeguisementStack } from '../../stacks/monsieur-deguisement';
import { POPGOM_BACKUP, PopgomStack } from '../../stacks/popgom';

import { BadInputRow, Phase, backedUpDatabase, lvs, shop, tier } from './bad-input-support';
import { ROWS as MORE_ROWS } from './bad-input-rows';

const OWN_ROWS: readonly BadInputRow[] = [
  // --- Addresses and subnets ---------------------------------------------------------------
  {
    kind: 'vSwitch CIDR that is not a CIDR',
    phase: Phase.BUILD,
    build: (app) => new PrivateVSwitch(new HostingStack(app, 'shop'), 'Net', { cidr: '10.0.1/24' }),
    error: /^shop\/Net: 'cidr' \('10\.0\.1\/24'\) must be an IPv4 CIDR with no host bits set/,
  },
  {
    kind: 'vSwitch CIDR with host bits set',
    phase: Phase.BUILD,
    build: (app) => new PopgomStack(app, 'popgom', { frontCidr: '10.20.1.5/24' }),
    error: /^popgom\/Front: 'cidr' \('10\.20\.1\.5\/24'\) must be an IPv4 CIDR with no host bits set/,
  },
  {
    kind: 'vSwitch CIDR larger than /16',
    phase: Phase.BUILD,
    build: (app) => new PrivateVSwitch(new HostingStack(app, 'shop'), 'Net', { cidr: '10.0.0.0/8' }),
    error: /^shop\/Net: 'cidr' \('10\.0\.0\.0\/8'\) must have a prefix length from \/16 to \/28/,
  },
  {
    kind: 'overlapping subnets',
    phase: Phase.BUILD,
    build: (app) => new PopgomStack(app, 'popgom', { backCidr: '10.20.1.128/25' }),
    error: /^popgom\/Back: 'cidr' \('10\.20\.1\.128\/25'\) overlaps 10\.20\.1\.0\/24 of popgom\/Front; the subnets of one stack must not overlap/,
  },
  {
    kind: 'exhausted planned address pool',
    phase: Phase.BUILD,
    build: (app) => {
      const stack = new HostingStack(app, 'shop');
      const net = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24', plannedAddressCount: 2 });
      tier(stack, net, 'Web', 3);
    },
    error: /^shop\/Web: 'count' \(3\) needs 3 consecutive free planned addresses and 10\.0\.1\.2-10\.0\.1\.3 of shop\/Net \(10\.0\.1\.0\/24\) has no such run left; lower 'count', raise the vSwitch's 'plannedAddressCount' or use a larger 'cidr'/,
  },
  {
    kind: 'planned address outside the subnet',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new ServerCluster(stack, 'Web', { vswitch: net, count: 1, flavor: Flavor.named('b3-8'), addresses: ['10.0.2.10'] });
    },
    error: /^shop\/Web\/Instance1: 'addresses' \('10\.0\.2\.10'\) is outside the subnet 10\.0\.1\.0\/24 of shop\/Net/,
  },
  {
    kind: 'VIP in the DHCP pool',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      lvs(stack, net, 'Lb', { vipAddress: '10.0.1.200' });
    },
    error: /^shop\/Lb: 'vipAddress' \('10\.0\.1\.200'\) is not in the planned range 10\.0\.1\.2-10\.0\.1\.127 of shop\/Net \(the gateway, the DHCP pool 10\.0\.1\.128-10\.0\.1\.254/,
  },
  {
    kind: 'planned address already taken',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new ServerCluster(stack, 'A', { vswitch: net, count: 1, flavor: Flavor.named('b3-8'), addresses: ['10.0.1.10'] });
      new ServerCluster(stack, 'B', { vswitch: net, count: 1, flavor: Flavor.named('b3-8'), addresses: ['10.0.1.10'] });
    },
    error: /^shop\/B\/Instance1: 'addresses' \('10\.0\.1\.10'\) is already planned for shop\/A\/Instance1/,
  },
  {
    kind: 'VIP that is not an IPv4 address',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      lvs(stack, net, 'Lb', { vipAddress: '10.0.1.300' });
    },
    error: /^shop\/Lb: 'vipAddress' \('10\.0\.1\.300'\) must be an IPv4 address/,
  },

  // --- Counts and sizes ----------------------------------------------------------------------
  {
    kind: 'zero count',
    phase: Phase.BUILD,
    build: (app) => new PopgomStack(app, 'popgom', { webCount: 0 }),
    error: /^popgom\/Web: 'count' \(0\) must be an integer from 1 to 1000/,
  },
  {
    kind: 'negative count',
    phase: Phase.BUILD,
    build: (app) => new PopgomStack(app, 'popgom', { appCount: -1 }),
    error: /^popgom\/App: 'count' \(-1\) must be an integer from 1 to 1000/,
  },
  {
    kind: 'fractional count',
    phase: Phase.BUILD,
    build: (app) => new PopgomStack(app, 'popgom', { databaseCount: 2.5 }),
    error: /^popgom\/Database: 'replicas' \(1\.5\) must be an integer from 1 to \d+/,
  },
  {
    kind: 'minCount above count',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new ServerCluster(stack, 'Web', { vswitch: net, count: 2, minCount: 3, maxCount: 4, flavor: Flavor.named('b3-8') });
    },
    error: /^shop\/Web: 'minCount' \(3\) must not exceed 'count' \(2\)/,
  },
  {
    kind: 'count above maxCount',
    phase: Phase.BUILD,
    build: (app) => new MonsieurDeguisementStack(app, 'monsieur-deguisement', { frontendCount: 12, frontendMaxCount: 10 }),
    error: /^monsieur-deguisement\/Frontends: 'count' \(12\) must not exceed 'maxCount' \(10\)/,
  },
  {
    kind: 'flavor name not in the catalog',
    phase: Phase.BUILD,
    build: (app) => new PopgomStack(app, 'popgom', { webFlavor: Flavor.named('b9-999') }),
    error: /^popgom\/Web\/Servers: 'flavor' \('b9-999'\) is not in the OVHcloud catalog of .* \(e\.g\. b3-8, c3-4, r3-16\)/,
  },
  {
    kind: 'sizing no flavor can meet',
    phase: Phase.BUILD,
    build: (app) => new PopgomStack(app, 'popgom', { appFlavor: Flavor.fromSizing({ vcpus: 1000, ramGb: 8, diskGb: 30 }) }),
    error: /^popgom\/App\/Servers: 'sizing' \(\{"vcpus":1000,"ramGb":8,"diskGb":30\}\) fits no flavor of the families/,
  },
  {
    kind: 'sizing with zero RAM',
    phase: Phase.BUILD,
    build: (app) => new PopgomStack(app, 'popgom', { databaseFlavor: Flavor.fromSizing({ vcpus: 2, ramGb: 0, diskGb: 50 }) }),
    error: /^popgom\/Database\/Servers: 'sizing\.ramGb' \(0\) must be a number greater than 0/,
  },
  {
    kind: 'flavor too small for the daemon (Solr heap)',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new SolrServer(stack, 'Search', { vswitch: net, flavor: Flavor.custom({ name: 'tiny-1', vcpus: 1, ramGb: 1, diskGb: 10 }) });
    },
    error: /^shop\/Search: 'flavor' \('tiny-1'\) has 1 GB of RAM: Solr needs 512 MB of heap plus 1024 MB for the system/,
  },
  {
    kind: 'boot volume of 0 GB',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new ServerCluster(stack, 'Web', { vswitch: net, count: 1, flavor: Flavor.named('b3-8'), bootVolumeGb: 0 });
    },
    error: /^shop\/Web: 'bootVolumeGb' \(0\) must be an integer from 1 to 16384/,
  },
  {
    kind: 'JVM heap fraction above 0.9',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new AppTier(stack, 'App', { vswitch: net, count: 1, flavor: Flavor.named('b3-8'), heapFraction: 0.95 });
    },
    error: /^shop\/App: 'heapFraction' \(0\.95\) must be a number from 0\.1 to 0\.9/,
  },
  {
    kind: 'InnoDB buffer pool fraction above the allowed share',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new MysqlReplication(stack, 'Db', { vswitch: net, flavor: Flavor.named('b3-8'), databaseName: 'shop', bufferPoolFraction: 0.99 });
    },
    error: /^shop\/Db: 'bufferPoolFraction' \(0\.99\) must be a share of RAM from [\d.]+ to [\d.]+/,
  },

  // --- Names --------------------------------------------------------------------------------
  {
    kind: 'host name prefix with upper case and underscore',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new ServerCluster(stack, 'Web', { vswitch: net, count: 1, flavor: Flavor.named('b3-8'), hostnamePrefix: 'Web_Server' });
    },
    error: /^shop\/Web: 'hostnamePrefix' \('Web_Server'\) must be lower-case letters, digits and dashes, starting with a letter/,
  },
  {
    kind: 'duplicate host names in a stack',
    phase: Phase.SYNTH,
    build: (app) => {
      const { stack, net } = shop(app);
      new ServerCluster(stack, 'A', { vswitch: net, count: 1, flavor: Flavor.named('b3-8'), hostnamePrefix: 'web' });
      new ServerCluster(stack, 'B', { vswitch: net, count: 1, flavor: Flavor.named('b3-8'), hostnamePrefix: 'web' });
    },
    error: /shop\/B\/Instance1: 'hostname' \('web-1'\) is also used by shop\/A\/Instance1; host names must be unique in a stack/,
  },
  {
    kind: 'Secret variable name not snake_case',
    phase: Phase.BUILD,
    build: (app) => Secret.variable(new HostingStack(app, 'shop'), 'DbPassword', 'the database password'),
    error: /^shop: 'name' \('DbPassword'\) must be snake_case: a lower-case letter, then lower-case letters, digits and '_'/,
  },
  {
    kind: 'duplicate backup policy ids',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const { db, backup } = backedUpDatabase(stack, net);
      const cache = new ServerCluster(stack, 'Cache', { vswitch: net, count: 1, flavor: Flavor.named('b3-8'), stateful: true });
      backup.addPolicy('vital', { servers: [db], ...POPGOM_BACKUP });
      backup.addPolicy('vital', { servers: [cache], ...POPGOM_BACKUP });
    },
    error: /^shop\/Backup: 'id' \('vital'\) is already the id of a policy of this backup/,
  },
  {
    kind: 'duplicate campaign names',
    phase: Phase.BUILD,
    build: (app) => {
      const calendar = new CampaignCalendar(new HostingStack(app, 'shop'), 'Campaigns', { timeZone: 'Europe/Madrid' });
      calendar.addCampaign('halloween', { start: '2027-10-25T00:00', end: '2027-11-01T00:00', peak: { concurrentUsers: 3000 } });
      calendar.addCampaign('halloween', { start: '2028-10-25T00:00', end: '2028-11-01T00:00', peak: { concurrentUsers: 3000 } });
    },
    error: /^shop\/Campaigns: 'name' \('halloween'\) is already a campaign of this calendar; campaign names must be unique/,
  },
  {
    kind: 'campaign name not kebab case',
    phase: Phase.BUILD,
    build: (app) => {
      const calendar = new CampaignCalendar(new HostingStack(app, 'shop'), 'Campaigns');
      calendar.addCampaign('Black Friday', { start: '2027-11-22T00:00', end: '2027-11-30T00:00', peak: { concurrentUsers: 3000 } });
    },
    error: /^shop\/Campaigns: 'name' \('Black Friday'\) must be kebab case/,
  },

  // --- Ports ---------------------------------------------------------------------------------
  {
    kind: 'port 0 in a security rule',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      tier(stack, net).connections.allowFrom(Peer.ipv4('198.51.100.0/24'), Port.tcp(0));
    },
    error: /^shop\/Web: 'port' \('tcp 0'\) must be integers from 1 to 65535 with from <= to/,
  },
  {
    kind: 'reversed port range in a security rule',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      tier(stack, net).connections.allowFrom(Peer.ipv4('198.51.100.0/24'), Port.tcpRange(9000, 8000));
    },
    error: /^shop\/Web: 'port' \('tcp 9000-8000'\) must be integers from 1 to 65535 with from <= to/,
  },
  {
    kind: 'port 70000 for an LVS virtual service',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      lvs(stack, net).addTarget(tier(stack, net), { port: 70000 });
    },
    error: /^shop\/Lb: 'port' \(70000\) must be an integer from 1 to 65535/,
  },
  {
    kind: 'duplicate LVS target ports',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const lb = lvs(stack, net);
      lb.addTarget(tier(stack, net, 'Web'), { port: 80 });
      lb.addTarget(tier(stack, net, 'Api'), { port: 80 });
    },
    error: /^shop\/Lb: 'port' \(80\) already has a virtual service on 10\.0\.1\.\d+ \(to shop\/Web\); each target needs its own port/,
  },

  // --- VRRP ----------------------------------------------------------------------------------
  {
    kind: 'VRRP router id 0',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      lvs(stack, net, 'Lb', { virtualRouterId: 0 });
    },
    error: /^shop\/Lb: 'virtualRouterId' \(0\) must be an integer from 1 to 255/,
  },
  {
    kind: 'VRRP router id 256',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      lvs(stack, net, 'Lb', { virtualRouterId: 256 });
    },
    error: /^shop\/Lb: 'virtualRouterId' \(256\) must be an integer from 1 to 255/,
  },
  {
    kind: 'clashing VRRP router ids on one vSwitch',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      lvs(stack, net, 'Lb1', { virtualRouterId: 51 });
      lvs(stack, net, 'Lb2', { virtualRouterId: 51 });
    },
    error: /^shop\/Lb2: 'virtualRouterId' \(51\) is already used by shop\/Lb1 on shop\/Net; VRRP router ids must differ per vSwitch/,
  },

  // --- Countries, time zones, campaigns ------------------------------------------------------
  {
    kind: 'unknown country',
    phase: Phase.BUILD,
    build: (app) => new MonsieurDeguisementStack(app, 'monsieur-deguisement', { countries: ['ES', 'XX'] }),
    error: /^monsieur-deguisement\/Entrances: 'countries' \('XX'\) is not an ISO 3166-1 alpha-2 country code in upper case, e\.g\. 'ES', 'FR', 'GB'/,
  },
  {
    kind: 'lower-case country code',
    phase: Phase.BUILD,
    build: (app) => new MonsieurDeguisementStack(app, 'monsieur-deguisement', { countries: ['ES', 'fr'] }),
    error: /^monsieur-deguisement\/Entrances: 'countries' \('fr'\) is not an ISO 3166-1 alpha-2 country code in upper case \(write 'FR'\)/,
  },
  {
    kind: 'duplicate countries',
    phase: Phase.BUILD,
    build: (app) => new MonsieurDeguisementStack(app, 'monsieur-deguisement', { countries: ['ES', 'FR', 'ES'] }),
    error: /^monsieur-deguisement\/Entrances: 'countries' \('ES'\) appears more than once; each entry must be unique/,
  },
  {
    kind: 'unknown time zone',
    phase: Phase.BUILD,
    build: (app) => new CampaignCalendar(new HostingStack(app, 'shop'), 'Campaigns', { timeZone: 'Europe/Atlantis' }),
    error: /^shop\/Campaigns: 'timeZone' \('Europe\/Atlantis'\) is not a time zone this runtime knows; use an IANA name such as 'Europe\/Madrid' or 'UTC'/,
  },
  {
    kind: 'campaign ending before it starts',
    phase: Phase.BUILD,
    build: (app) => {
      const calendar = new CampaignCalendar(new HostingStack(app, 'shop'), 'Campaigns', { timeZone: 'Europe/Madrid' });
      calendar.addCampaign('summer-sales', { start: '2027-07-31T00:00', end: '2027-07-01T00:00', peak: { concurrentUsers: 2000 } });
    },
    error: /^shop\/Campaigns: 'campaigns\.summer-sales\.end' \('2027-07-01T00:00'\) must be after 'start' \('2027-07-31T00:00', Europe\/Madrid\)/,
  },
  {
    kind: 'campaign starting in the hour skipped by daylight saving',
    phase: Phase.BUILD,
    build: (app) => {
      const calendar = new CampaignCalendar(new HostingStack(app, 'shop'), 'Campaigns', { timeZone: 'Europe/Madrid' });
      calendar.addCampaign('carnival', { start: '2027-03-28T02:30', end: '2027-04-02T00:00', peak: { concurrentUsers: 2000 } });
    },
    error: /^shop\/Campaigns: 'campaigns\.carnival\.start' \('2027-03-28T02:30'\) does not exist in Europe\/Madrid: the clocks skip it/,
  },
  {
    kind: 'campaign needing more instances than maxCount',
    phase: Phase.SYNTH,
    build: (app) => new MonsieurDeguisementStack(app, 'monsieur-deguisement', { frontendMaxCount: 9 }),
    error: /monsieur-deguisement\/FrontendScaling: campaign 'halloween' needs 10 instances \(4,000 users x 1\.2 \/ 500\) but 'maxCount' is 9; raise the tier's maxCount to at least 10/,
  },

  // --- Backend sets ----------------------------------------------------------------------------
  {
    kind: 'LVS balancer without targets',
    phase: Phase.SYNTH,
    build: (app) => {
      const { stack, net } = shop(app);
      lvs(stack, net);
    },
    error: /shop\/Lb: 'targets' \(\[\]\) must hold at least one target; call addTarget\(tier, \{ port \}\)/,
  },
  {
    kind: 'web tier with an empty upstream',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const backend = tier(stack, net, 'Backend', 1);
      const upstream: IHttpBackend = { connections: backend.connections, backendAddresses: [], backendPort: 8080, healthCheckPath: '/healthz' };
      new WebTier(stack, 'Web', { vswitch: net, count: 1, flavor: Flavor.named('b3-8'), upstream });
    },
    error: /^shop\/Web: 'upstream' \('shop\/Backend'\) has no backend addresses; the balancer needs at least one member/,
  },

  // --- Health checks ---------------------------------------------------------------------------
  {
    kind: 'health-check path without a leading slash',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      lvs(stack, net).addTarget(tier(stack, net), { port: 80, healthCheck: HealthCheck.http({ path: 'healthz' }) });
    },
    error: /^shop\/Lb: 'healthCheck\.path' \('healthz'\) must start with '\/'/,
  },
  {
    kind: 'health-check threshold of 0',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      lvs(stack, net).addTarget(tier(stack, net), { port: 80, healthCheck: HealthCheck.tcp({ unhealthyThreshold: 0 }) });
    },
    error: /^shop\/Lb: 'healthCheck\.unhealthyThreshold' \(0\) must be from 1 to 10/,
  },
  {
    kind: 'health-check status that is not an HTTP status',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const upstream = new AppTier(stack, 'App', { vswitch: net, count: 1, flavor: Flavor.named('b3-8') });
      new WebTier(stack, 'Web', { vswitch: net, count: 1, flavor: Flavor.named('b3-8'), upstream, backendHealthCheck: HealthCheck.http({ path: '/healthz', expectedStatus: 600 }) });
    },
    error: /^shop\/Web: 'backendHealthCheck\.expectedStatus' \(600\) must be an HTTP status from 100 to 599/,
  },
  {
    kind: 'health-check interval of 0 seconds',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new OctaviaBalancer(stack, 'Lb', { vswitch: net }).addTarget(tier(stack, net), { port: 80, healthCheck: HealthCheck.http({ intervalSeconds: 0 }) });
    },
    error: /^shop\/Lb: 'healthCheck\.intervalSeconds' \(0\) must be from 0\.1 to 3600/,
  },
  {
    kind: 'health-check path of a web tier that is not a path',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const upstream = new AppTier(stack, 'App', { vswitch: net, count: 1, flavor: Flavor.named('b3-8') });
      new WebTier(stack, 'Web', { vswitch: net, count: 1, flavor: Flavor.named('b3-8'), upstream, healthCheckPath: 'health check' });
    },
    error: /^shop\/Web: 'healthCheckPath' \('health check'\) must be an absolute path of letters, digits, '\.', '_' and '-' segments/,
  },

  // --- Exposure ----------------------------------------------------------------------------------
  {
    kind: '0.0.0.0/0 as a peer',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      tier(stack, net).connections.allowFrom(Peer.ipv4('0.0.0.0/0'), Port.tcp(22));
    },
    error: /^shop\/Web: 'peer' \('0\.0\.0\.0\/0'\) is the whole internet; only a construct public by nature may be opened to it, through 'allowFromInternet\(port, reason\)'/,
  },
  {
    kind: '0.0.0.0/0 as the admin CIDR',
    phase: Phase.BUILD,
    build: (app) => new PopgomStack(app, 'popgom', { adminCidr: '0.0.0.0/0' }),
    error: /^popgom\/Balancer: 'adminCidr' \('0\.0\.0\.0\/0'\) must not be the whole internet: SSH is only for the admin network/,
  },
  {
    kind: 'peer CIDR with host bits set',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      tier(stack, net).connections.allowFrom(Peer.ipv4('198.51.100.7/24'), Port.tcp(22));
    },
    error: /^shop\/Web: 'peer' \('198\.51\.100\.7\/24'\) must be an IPv4 CIDR with no host bits set/,
  },
  {
    kind: 'allowFromInternet without a reason',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      tier(stack, net).connections.allowFromInternet(Port.tcp(80), '  ');
    },
    error: /^shop\/Web: 'reason' \(' {2}'\) must say why this construct is reachable from 0\.0\.0\.0\/0/,
  },
  {
    kind: '0.0.0.0/0 as the CDN network of the DMZ origin',
    phase: Phase.BUILD,
    build: (app) => new MonsieurDeguisementStack(app, 'monsieur-deguisement', { cdnCidrs: ['0.0.0.0/0'] }),
    error: /^monsieur-deguisement\/StaticContent: 'cdnCidrs' \('0\.0\.0\.0\/0'\) must be an IPv4 CIDR with no host bits set, in decimal without leading zeros \(read as octal by other tools\), other than 0\.0\.0\.0\/0/,
  },

  // --- VPN ---------------------------------------------------------------------------------------
  {
    kind: 'WireGuard key that is not a key',
    phase: Phase.BUILD,
    build: (app) => new MonsieurDeguisementStack(app, 'monsieur-deguisement', { offices: [{ ...CLOSED_OFFICE, publicKey: 'not-a-key' }] }),
    error: /^monsieur-deguisement\/Vpn: 'officePeers\[0\]\.publicKey' \('not-a-key'\) must be a WireGuard public key/,
  },
  {
    kind: 'office CIDR overlapping a vSwitch',
    phase: Phase.BUILD,
    build: (app) => new MonsieurDeguisementStack(app, 'monsieur-deguisement', { offices: [{ ...CLOSED_OFFICE, allowedIps: ['10.30.1.0/24'] }] }),
    error: /^monsieur-deguisement\/Vpn: 'officeCidrs' \('10\.30\.1\.0\/24'\) overlaps 10\.30\.1\.0\/24 of monsieur-deguisement\/Access; office and cloud networks must be disjoint/,
  },
  {
    kind: 'office CIDR overlapping a vSwitch declared after the VPN',
    phase: Phase.SYNTH,
    build: (app) => {
      const { stack, router, net } = shop(app);
      new OfficeVpn(stack, 'Vpn', { vswitch: net, officeCidrs: ['10.0.8.0/24'], officePeers: [{ ...CLOSED_OFFICE, allowedIps: ['10.0.8.0/24'] }] });
      new PrivateVSwitch(stack, 'Late', { cidr: '10.0.8.0/24', router });
    },
    error: /shop\/Vpn: 'officeCidrs' \('10\.0\.8\.0\/24'\) overlaps 10\.0\.8\.0\/24 of shop\/Late; office and cloud networks must be disjoint/,
  },

  // --- Octavia, software versions --------------------------------------------------------------
  {
    kind: 'Octavia flavor name instead of its id',
    phase: Phase.BUILD,
    build: (app) => new MonsieurDeguisementStack(app, 'monsieur-deguisement', { entries: MdEntries.octavia({ flavorId: 'small' }) }),
    error: /^monsieur-deguisement\/Entrances\/ES: 'flavorId' \('small'\) must be the id \(a UUID\) of an Octavia flavor, not its name/,
  },
  {
    kind: 'Octavia flavor given to haproxy-pair entries',
    phase: Phase.BUILD,
    build: (app) => new MonsieurDeguisementStack(app, 'monsieur-deguisement', { entries: MdEntries.haproxyPairs({ flavorId: '6c3b4f4e-6a3c-4a8e-9b7b-1f2e3d4c5b6a' } as never) }),
    error: /^MdEntries\.haproxyPairs: 'options\.flavorId' \('6c3b4f4e-6a3c-4a8e-9b7b-1f2e3d4c5b6a'\) is not an option here; the options are adminCidr$/,
  },
  {
    kind: 'entries given as the name of a realisation',
    phase: Phase.BUILD,
    build: (app) => new MonsieurDeguisementStack(app, 'monsieur-deguisement', { entries: 'keepalived-haproxy' as never }),
    error: /^monsieur-deguisement: 'entries' \('keepalived-haproxy'\) must be an MdEntries \(MdEntries\.octavia\(\{ flavorId \}\) or MdEntries\.haproxyPairs\(\{ adminCidr \}\)\)$/,
  },
  {
    kind: 'Solr version without its checksum',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new SolrServer(stack, 'Search', { vswitch: net, flavor: Flavor.named('b3-8'), version: '9.7.0' });
    },
    error: /^shop\/Search: 'sha512' \(undefined\) is required with 'version' \(9\.7\.0\): give the SHA-512 published in solr-9\.7\.0\.tgz\.sha512/,
  },
  {
    kind: 'Solr version that is not Solr 9',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new SolrServer(stack, 'Search', { vswitch: net, flavor: Flavor.named('b3-8'), version: '8.11.2' });
    },
    error: /^shop\/Search: 'version' \('8\.11\.2'\) must be a Solr 9 release such as '9\.6\.1'/,
  },
  {
    kind: 'WildFly version without its checksum',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const { db } = backedUpDatabase(stack, net);
      new OrderTracking(stack, 'Orders', { vswitch: net, flavor: Flavor.named('b3-8'), database: db, wildflyVersion: '30.0.1.Final' });
    },
    error: /^shop\/Orders: 'wildflySha256' \(undefined\) is required when 'wildflyVersion' or 'wildflyTarballUrl' is given/,
  },

  // --- Backups -----------------------------------------------------------------------------------
  {
    kind: 'backup time that is not a time',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const { db, backup } = backedUpDatabase(stack, net);
      backup.addPolicy('vital', { servers: [db], schedule: BackupSchedule.daily('25:00', 'Europe/Paris'), rotation: 7 });
    },
    error: /^shop\/Backup\/vital: 'schedule\.time' \('25:00'\) must be a 24-hour time 'HH:MM', e\.g\. '02:30'/,
  },
  {
    kind: 'backup interval that does not divide a day',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const { db, backup } = backedUpDatabase(stack, net);
      backup.addPolicy('vital', { servers: [db], schedule: BackupSchedule.everyHours(5), rotation: 7 });
    },
    error: /^shop\/Backup\/vital: 'schedule\.hours' \(5\) must divide a day evenly: one of 1, 2, 3, 4, 6, 8, 12/,
  },
  {
    kind: 'backup rotation of 0',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const { db, backup } = backedUpDatabase(stack, net);
      backup.addPolicy('vital', { servers: [db], schedule: BackupSchedule.daily('02:30'), rotation: 0 });
    },
    error: /^shop\/Backup\/vital: 'rotation' \(0\) must be an integer from 1 to \d+/,
  },
  {
    kind: 'RTO below the estimated restore time',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const { db, backup } = backedUpDatabase(stack, net);
      backup.addPolicy('vital', { servers: [db], schedule: BackupSchedule.daily('02:30'), rotation: 7, rtoMinutes: 1 });
    },
    error: /^shop\/Backup\/vital: 'rtoMinutes' \(1\) is below the estimated restore time of db-\d \(\d+ GB boot volume\): \d+ min from a snapshot/,
  },
  {
    kind: 'stateful server outside every backup policy',
    phase: Phase.SYNTH,
    build: (app) => {
      const { stack, net } = shop(app);
      new MysqlReplication(stack, 'Db', { vswitch: net, flavor: Flavor.named('b3-8'), databaseName: 'shop' });
    },
    error: /shop\/Db\/Servers: 'stateful' \(true\) servers are in no backup policy; add them to a VeeamBackup policy or call exemptFromBackup\(reason\)/,
  },
  {
    kind: 'backup without any policy',
    phase: Phase.SYNTH,
    build: (app) => {
      const { stack, net } = shop(app);
      new VeeamBackup(stack, 'Backup', { vswitch: net, region: 'GRA11' });
    },
    error: /shop\/Backup: 'policies' \(\[\]\) must hold at least one policy; add one with addPolicy\(id, options\)/,
  },

  // --- Shared files ------------------------------------------------------------------------------
  {
    kind: 'NFS share with no client',
    phase: Phase.SYNTH,
    build: (app) => {
      const { stack, net } = shop(app);
      return new SharedFiles(stack, 'Media', { backend: NfsBackend.MANILA, sizeGb: 200, vswitch: net });
    },
    error: /shop\/Media: 'clients' \(\[\]\) must hold at least one network; call allowClient\(client, cidr\) for each network that mounts the share/,
  },
  {
    kind: 'NFS share of 0 GB',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      return new SharedFiles(stack, 'Media', { sizeGb: 0, vswitch: net });
    },
    error: /^shop\/Media: 'sizeGb' \(0\) must be an integer from 1 to 16384/,
  },

  // --- Other constructs ----------------------------------------------------------------------------
  {
    kind: 'DMZ origin without host names',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      const media = new SharedFiles(stack, 'Media', { sizeGb: 10, vswitch: net });
      new StaticContentServer(stack, 'Static', { vswitch: net, flavor: Flavor.named('b3-8'), hostNames: [], cdnCidrs: ['198.51.100.0/24'], media });
    },
    error: /^shop\/Static: 'hostNames' \(\[\]\) must name at least one host name/,
  },
  {
    kind: 'shop URL without a scheme',
    phase: Phase.BUILD,
    build: (app) => new MonsieurDeguisementStack(app, 'monsieur-deguisement', { baseUrl: 'www.monsieurdeguisement.com/' }),
    error: /^monsieur-deguisement\/Frontends: 'baseUrl' \('www\.monsieurdeguisement\.com\/'\) must be an http\(s\) URL with a DNS host name, ending in '\/'/,
  },
  {
    kind: 'user data over Nova\'s limit',
    phase: Phase.SYNTH,
    build: (app) => {
      const { stack, net } = shop(app);
      const web = new ServerCluster(stack, 'Web', { vswitch: net, count: 1, flavor: Flavor.named('b3-8') });
      // Hash output does not compress: 88,000 base64 characters of it stay over 65,535 after gzip.
      const noise = Array.from({ length: 2000 }, (_, i) => createHash('sha256').update(String(i)).digest('base64')).join('');
      web.instances[0].cloudConfig.addFile({ path: '/srv/noise', content: noise });
    },
    error: /shop\/Web\/Instance1: 'user_data' \(\d+\) is the base64 length of web-1's cloud-config even with compressed files; Nova allows at most 65535/,
  },
];

/** Every row: this file's and the classes in `bad-input-rows/`. */
const ROWS: readonly BadInputRow[] = [...OWN_ROWS, ...MORE_ROWS];

/** Every file under `dir`, recursively, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

describe('bad input', () => {
  test('the table holds at least 40 distinct kinds', () => {
    const kinds = ROWS.map((r) => r.kind);
    expect(kinds.length).toBeGreaterThanOrEqual(40);
    expect(new Set(kinds).size).toBe(kinds.length);
    // Both kinds of error are covered, and enough of each.
    expect(ROWS.filter((r) => r.phase === Phase.SYNTH).length).toBeGreaterThanOrEqual(4);
  });

  describe.each(ROWS.map((r) => [r.kind, r] as const))('%s', (_kind, row) => {
    let outdir: string;
    beforeEach(() => {
      outdir = mkdtempSync(join(tmpdir(), 'hs-bad-input-'));
    });
    afterEach(() => rmSync(outdir, { recursive: true, force: true }));

    test(`given one bad input, when built and synthesized, then it fails at ${row.phase} with a clear error and writes no file`, () => {
      const app = new HostingApp({ outdir });
      let built = false;
      let thrown: unknown;
      const buildAndSynth = () => {
        try {
          row.build(app);
          built = true;
          app.synth();
        } catch (e) {
          thrown = e;
          throw e;
        }
      };

      expect(buildAndSynth).toThrow(row.error);
      expect(built).toBe(row.phase === Phase.SYNTH);
      expect(thrown).toBeInstanceOf(HostingStacksError);
      if (row.phase === Phase.SYNTH) {
        // The app checks every stack before writing any and lists what it found, one problem a line.
        expect(thrown).toBeInstanceOf(SynthValidationError);
        expect((thrown as Error).message).toMatch(/^Validation failed, nothing was written:\n {2}/);
        const lines = (thrown as Error).message.split('\n').slice(1);
        expect(lines.some((l) => row.error.test(l))).toBe(true);
        expect((thrown as Error).message).toBe(`Validation failed, nothing was written:\n  ${(thrown as SynthValidationError).errors.join('\n  ')}`);
      }
      expect(filesUnder(outdir)).toEqual([]);
    });
  });
});
