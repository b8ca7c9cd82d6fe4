import {
  DeploymentServer,
  ExternalNetwork,
  Flavor,
  HostingStack,
  LvsBalancer,
  MachineImage,
  Peer,
  Port,
  PrivateVSwitch,
  RedisServer,
  Router,
  Secret,
  ServerCluster,
  SharedFiles,
} from '../../../lib';
import { BadInputRow, Phase, shop, tier } from '../bad-input-support';

/** What a JavaScript caller can pass where TypeScript expects an enum member. */
const untyped = <T>(value: string): T => value as unknown as T;

/**
 * Bad input of issue 10's class 'choices': values the target (Neutron, Terraform, a daemon, the
 * file system) rejects or misreads, and closed choices given a value outside the set.
 */
export const ROWS: readonly BadInputRow[] = [
  // --- Admin and SSH sources -------------------------------------------------------------------
  {
    kind: 'admin CIDR of half the internet (128.0.0.0/1)',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new LvsBalancer(stack, 'Lb', { vswitch: net, adminCidr: '128.0.0.0/1' });
    },
    error: /^shop\/Lb: 'adminCidr' \('128\.0\.0\.0\/1'\) is wider than \/16 \(65,536 addresses\); an admin or SSH source must be an administrators', office or VPN network with a prefix length of at least \/16/,
  },
  {
    kind: 'deployment server admin CIDR wider than /16',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new DeploymentServer(stack, 'Deploy', { vswitch: net, adminCidrs: ['203.0.113.0/28', '64.0.0.0/2'] });
    },
    error: /^shop\/Deploy: 'adminCidrs' \('64\.0\.0\.0\/2'\) is wider than \/16 .*prefix length of at least \/16/,
  },
  {
    kind: 'SSH port range opened to a /10 through allowFrom',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      tier(stack, net).connections.allowFrom(Peer.ipv4('100.64.0.0/10'), Port.tcpRange(20, 30));
    },
    error: /^shop\/Web: 'peer' \('100\.64\.0\.0\/10'\) is wider than \/16 .*an admin or SSH source must be .* at least \/16/,
  },
  // --- Addresses ---------------------------------------------------------------------------------
  {
    kind: 'vSwitch CIDR with a leading zero (octal elsewhere)',
    phase: Phase.BUILD,
    build: (app) => new PrivateVSwitch(new HostingStack(app, 'shop'), 'Net', { cidr: '010.0.1.0/24' }),
    error: /^shop\/Net: 'cidr' \('010\.0\.1\.0\/24'\) must be an IPv4 CIDR with no host bits set, in decimal without leading zeros/,
  },
  {
    kind: 'planned address with a leading zero',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new LvsBalancer(stack, 'Lb', { vswitch: net, adminCidr: '198.51.100.0/24', vipAddress: '10.0.1.010' });
    },
    error: /^shop\/Lb: 'vipAddress' \('10\.0\.1\.010'\) must be an IPv4 address in decimal without leading zeros/,
  },
  {
    kind: 'DNS name as a DHCP name server',
    phase: Phase.BUILD,
    build: (app) => new PrivateVSwitch(new HostingStack(app, 'shop'), 'Net', { cidr: '10.0.1.0/24', dnsNameservers: ['dns.ovh.net'] }),
    error: /^shop\/Net: 'dnsNameservers' \('dns\.ovh\.net'\) must be an IPv4 address in decimal without leading zeros \(not a DNS name\), e\.g\. '213\.186\.33\.99'/,
  },
  {
    kind: 'DNS name as an allowed address pair',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new ServerCluster(stack, 'Web', { vswitch: net, count: 1, flavor: Flavor.named('b3-8'), allowedAddressPairs: ['vip.example.com'] });
    },
    error: /^shop\/Web: 'allowedAddressPairs' \('vip\.example\.com'\) must be an IPv4 address or CIDR with no host bits set \(not a DNS name\)/,
  },
  // --- Closed choices ----------------------------------------------------------------------------
  {
    kind: "zone given as the member name 'DATA'",
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, router } = shop(app);
      new PrivateVSwitch(stack, 'Data', { cidr: '10.0.3.0/24', router, zone: untyped('DATA') });
    },
    error: /^shop\/Data: 'zone' \('DATA'\) must be one of NetworkZone\.DMZ \('dmz'\), NetworkZone\.APPLICATION \('application'\), NetworkZone\.DATA \('data'\)/,
  },
  {
    kind: "unknown LVS forwarding method 'TUN'",
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new LvsBalancer(stack, 'Lb', { vswitch: net, adminCidr: '198.51.100.0/24', forwarding: untyped('TUN') });
    },
    error: /^shop\/Lb: 'forwarding' \('TUN'\) must be one of LvsForwarding\.DIRECT_ROUTING \('DR'\), LvsForwarding\.NAT \('NAT'\)/,
  },
  {
    kind: "unknown server-group placement 'spread'",
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new ServerCluster(stack, 'Web', { vswitch: net, count: 2, flavor: Flavor.named('b3-8'), placement: untyped('spread') });
    },
    error: /^shop\/Web: 'placement' \('spread'\) must be one of ServerGroupPolicy\.ANTI_AFFINITY \('anti-affinity'\), ServerGroupPolicy\.SOFT_ANTI_AFFINITY \('soft-anti-affinity'\)/,
  },
  {
    kind: "unknown Redis eviction policy 'lru'",
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new RedisServer(stack, 'Sessions', { vswitch: net, flavor: Flavor.named('b3-8'), evictionPolicy: untyped('lru') });
    },
    error: /^shop\/Sessions: 'evictionPolicy' \('lru'\) must be one of RedisEvictionPolicy\.NOEVICTION \('noeviction'\), .*RedisEvictionPolicy\.ALLKEYS_LRU \('allkeys-lru'\)/,
  },
  {
    kind: "unknown NFS backend 'nfs'",
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new SharedFiles(stack, 'Media', { sizeGb: 10, vswitch: net, backend: untyped('nfs') });
    },
    error: /^shop\/Media: 'backend' \('nfs'\) must be one of NfsBackend\.MANILA \('manila'\), NfsBackend\.NFS_SERVER_VM/,
  },
  {
    kind: 'unknown flavor family',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new ServerCluster(stack, 'Web', { vswitch: net, count: 1, flavor: Flavor.fromSizing({ vcpus: 2, ramGb: 8, diskGb: 50 }, [untyped('b3')]) });
    },
    error: /^shop\/Web: 'flavor\.families' \('b3'\) must be one of FlavorFamily\.GENERAL_PURPOSE_GEN3 \('general-purpose-gen3'\), /,
  },
  {
    kind: 'Redis command typo that stops Redis starting',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new RedisServer(stack, 'Sessions', { vswitch: net, flavor: Flavor.named('b3-8'), disabledCommands: ['FLUSHAL'] });
    },
    error: /^shop\/Sessions: 'disabledCommands' \('FLUSHAL'\) must be Redis command names known to Redis 7\.0 \(e\.g\. FLUSHALL\)/,
  },
  // --- Terraform names ---------------------------------------------------------------------------
  {
    kind: "Secret variable named 'count' (reserved by Terraform)",
    phase: Phase.BUILD,
    build: (app) => Secret.variable(new HostingStack(app, 'shop'), 'count', 'a password'),
    error: /^shop: 'name' \('count'\) is reserved by Terraform for variables \(source, version, providers, count, for_each, lifecycle, depends_on, locals\)/,
  },
  {
    kind: "count variable named 'version' (reserved by Terraform)",
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new ServerCluster(stack, 'Web', { vswitch: net, count: 1, maxCount: 2, flavor: Flavor.named('b3-8'), countVariableName: 'version' });
    },
    error: /^shop\/Web: 'countVariableName' \('version'\) is reserved by Terraform for variables/,
  },
  {
    kind: 'two clusters sharing one count variable',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new ServerCluster(stack, 'Web', { vswitch: net, count: 1, maxCount: 2, flavor: Flavor.named('b3-8'), countVariableName: 'front_count' });
      new ServerCluster(stack, 'Api', { vswitch: net, count: 1, maxCount: 2, flavor: Flavor.named('b3-8'), countVariableName: 'front_count' });
    },
    error: /^shop\/Api: 'countVariableName' \('front_count'\) is already the Terraform variable of shop\/Web; variable names must be unique in a stack/,
  },
  {
    kind: "Secret named like a cluster's count variable",
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new ServerCluster(stack, 'Web', { vswitch: net, count: 1, maxCount: 2, flavor: Flavor.named('b3-8') });
      Secret.variable(stack, 'web_count', 'a password');
    },
    error: /^shop: 'name' \('web_count'\) is already the Terraform variable of shop\/Web; variable names must be unique in a stack/,
  },
  // --- Stack ids and OpenStack names -------------------------------------------------------------
  {
    kind: "stack id '..' (outside stacks/)",
    phase: Phase.BUILD,
    build: (app) => new HostingStack(app, '..'),
    error: /^\.\.: 'id' \('\.\.'\) must be a stack id of letters, digits, '-' and '_', starting with a letter or digit \(at most 63 characters\)/,
  },
  {
    kind: "stack id with a '/'",
    phase: Phase.BUILD,
    build: (app) => new HostingStack(app, 'shop/../../etc'),
    error: /^shop--\.\.--\.\.--etc: 'id' \('shop\/\.\.\/\.\.\/etc'\) must be a stack id of letters, digits, '-' and '_'/,
  },
  {
    kind: 'network name longer than Neutron allows',
    phase: Phase.BUILD,
    build: (app) => new PrivateVSwitch(new HostingStack(app, 'shop'), 'Net', { cidr: '10.0.1.0/24', name: 'n'.repeat(256) }),
    error: /^shop\/Net: 'name' \('n{40}\.\.\. \(256 characters\)'\) must be a Neutron network name: 1 to 255 characters/,
  },
  {
    kind: 'construct ids making a resource name over 255 characters',
    phase: Phase.BUILD,
    build: (app) => new PrivateVSwitch(new HostingStack(app, 'shop'), 'n'.repeat(260), { cidr: '10.0.1.0/24' }),
    error: /^shop\/n{260}: 'id' \('shop-n{35}\.\.\. \(265 characters\)'\) must be a resource name built from the stack id and the construct ids \(shorten them\): 1 to 255 characters/,
  },
  {
    kind: 'empty image name',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new ServerCluster(stack, 'Web', { vswitch: net, count: 1, flavor: Flavor.named('b3-8'), image: MachineImage.debianNamed('') });
    },
    error: /^shop\/Web: 'image' \(''\) must be a Glance image name: 1 to 255 characters, not only spaces/,
  },
  {
    kind: 'empty external network name',
    phase: Phase.BUILD,
    build: (app) => new Router(new HostingStack(app, 'shop'), 'Router', { externalNetwork: ExternalNetwork.named('') }),
    error: /^shop\/Router: 'externalNetwork' \(''\) must be a Neutron network name: 1 to 255 characters, not only spaces/,
  },
  {
    kind: 'blank region',
    phase: Phase.BUILD,
    build: (app) => new HostingStack(app, 'shop', { region: ' ' }),
    error: /^shop: 'region' \(' '\) must be an OpenStack region name: 1 to 255 characters, not only spaces/,
  },
];
