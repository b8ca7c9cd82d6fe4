/**
 * The one check every construct makes on the peers and value objects it receives (flavors,
 * vSwitches, routers, tiers, databases, caches, backends, secrets, schedules...): the value is of
 * the kind the prop takes, and a construct peer is in the same stack. JavaScript callers exist, so
 * TypeScript types are not a check: a wrong kind would otherwise crash with a `TypeError` that names
 * no construct, or be written into a config (a look-alike Secret's password in plain text).
 *
 * Kinds are recognised as the cdk libraries do (`Construct.isConstruct`, `TerraformStack.isStack`):
 * a class carries a brand, a `Symbol.for` property set by its constructor, so that two copies of the
 * library still recognise each other's instances and no look-alike object passes. Interfaces that a
 * user or a test may implement (`IMysqlDatabase`, `IHttpBackend`, ...) are recognised by their
 * members, without calling any getter.
 *
 * This module imports no construct of the library (only types), so every construct can import it.
 */
import { TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { HostingStacksError } from './errors';
import type { Connections, IConnectable, Peer } from './connections';
import type { Port } from './port';
import type { IHttpBackend, IMysqlDatabase, IRedisEndpoint, IReplicatedMysqlDatabase, ISolrEndpoint } from './endpoints';
import type { Secret } from './secret';
import type { Flavor } from '../compute/flavor';
import type { IServerTier, ServerCluster, ServerInstance } from '../compute/server-cluster';
import type { KeyPair } from '../compute/key-pair';
import type { MachineImage } from '../compute/machine-image';
import type { ExternalNetwork } from '../network/external-network';
import type { OfficeVpn } from '../vpn/office-vpn';
import type { IPrivateVSwitch } from '../network/private-vswitch';
import type { Router } from '../network/router';
import type { INfsShare } from '../storage/nfs';
import type { IScalingRules } from '../scaling/scaling-model';
import type { CampaignCalendar } from '../scaling/campaign-calendar';
import type { BackupSchedule } from '../backup/backup-schedule';
import type { HealthCheck } from '../balancing/health-check';
import type { LoadShedding } from '../balancing/load-shedding';
import type { OctaviaTarget } from '../balancing/octavia-balancer';
import type { MagentoCode } from '../magento/magento-frontends';
import type { CapacityModel } from '../scaling/capacity-model';
import type { ReactiveRule } from '../scaling/reactive-rule';
import type { Machines } from '../compute/machines';
import type { MemcachedPool } from '../cache/memcached-pool';
import type { TaskBroker } from '../workers/task-broker';
import type { ClientDatabases } from '../database/client-databases';
import type { StateBackend } from '../stack/state-backend';
import type { CountApplier } from '../scaling/count-applier';
import type { HostingStack } from '../stack/hosting-stack';
import type { PolicyPack } from '../policy/policy-pack';

/** The brand symbol of a kind: `Symbol.for('hosting-stacks.<kind>')`, the same in every copy of the library. */
function brandSymbol(kind: string): symbol {
  return Symbol.for(`hosting-stacks.${kind}`);
}

/**
 * Marks `obj` as an instance of `kind` (a class name such as `'PrivateVSwitch'`). Called once by the
 * class's constructor; the mark is a non-enumerable `Symbol.for` property, so it is in no JSON.
 */
export function brand(obj: object, kind: string): void {
  Object.defineProperty(obj, brandSymbol(kind), { value: true, enumerable: false, writable: false });
}

/** True when `x` was marked by {@link brand} as an instance of `kind`. */
export function hasBrand(x: unknown, kind: string): boolean {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[brandSymbol(kind)] === true;
}

/**
 * A kind of peer or value object a prop takes: how to recognise it and how a message says what is
 * allowed (`a PrivateVSwitch`).
 */
export interface PeerKind<T> {
  /** What is allowed, as an error message says it after "must be": `a Flavor (Flavor.named('b3-8'), ...)`. */
  readonly allowed: string;
  /** True when `x` is of this kind. */
  readonly is: (x: unknown) => x is T;
  /** The kind holds a secret: a wrong value is never shown in a message, only described. @default false */
  readonly secret?: boolean;
  /**
   * The construct whose stack a value of this kind belongs to, for a kind that is neither a
   * construct nor has `connections` (e.g. a balancer's target). @default - see {@link requireSameStack}
   */
  readonly anchor?: (x: T) => IConstruct | undefined;
}

/** A kind recognised by a class brand (see {@link brand}). */
export function brandedKind<T>(kind: string, allowed: string, secret = false): PeerKind<T> {
  return { allowed, secret, is: (x: unknown): x is T => hasBrand(x, kind) };
}

/**
 * What kind of member `key` of `x` is, without calling a getter: `'accessor'` for a getter, else
 * the `typeof` of the value, or `undefined` when `x` has no such member.
 */
function memberKind(x: object, key: string): string | undefined {
  for (let o: object | null = x; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    const d = Object.getOwnPropertyDescriptor(o, key);
    if (!d) continue;
    if (d.get) return 'accessor';
    return d.value === undefined ? undefined : Array.isArray(d.value) ? 'array' : typeof d.value;
  }
  return undefined;
}

/** True when `x` has every member of `members` (`name: 'string' | 'number' | 'array' | 'function' | 'object'`), a getter counting for any. */
function hasMembers(x: unknown, members: Readonly<Record<string, string>>): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null) return false;
  return Object.entries(members).every(([key, type]) => {
    const k = memberKind(x, key);
    return k === 'accessor' || k === type;
  });
}

/** A member read only when it is a plain value (never a getter), for members that must be of a branded kind. */
function plainMember(x: object, key: string): unknown {
  const k = memberKind(x, key);
  if (k === undefined) return undefined;
  return (x as Record<string, unknown>)[key];
}

function isConnectable(x: unknown): x is IConnectable {
  return typeof x === 'object' && x !== null && hasBrand(plainMember(x, 'connections'), 'Connections');
}

/** The {@link Connections} of the construct a `Peer.of(construct)` stands for; undefined for `Peer.ipv4`. */
function peerConnections(peer: Peer): Connections | undefined {
  const connectable = plainMember(peer, 'connectable');
  return isConnectable(connectable) ? connectable.connections : undefined;
}

/** True when member `key` of `x` is a real Secret (a getter is read: a password must be checked, not assumed). */
function isSecretMember(x: Record<string, unknown>, key: string): boolean {
  return hasBrand(x[key], 'Secret');
}

/** The kinds the library's props take, one place for how each is recognised and named. */
export const Kinds = {
  /** A {@link Flavor}. */
  FLAVOR: brandedKind<Flavor>('Flavor', "a Flavor (Flavor.named('b3-8'), Flavor.fromSizing(...) or Flavor.custom(...))"),
  /** A {@link Secret}; nothing else, so no password is ever written in plain text. */
  SECRET: brandedKind<Secret>('Secret', 'a Secret made by Secret.variable(scope, name, description); a password is never given in plain text', true),
  /** An {@link IPrivateVSwitch}: any vSwitch carrying the `PrivateVSwitch` brand (a look-alike object is not one). */
  PRIVATE_VSWITCH: brandedKind<IPrivateVSwitch>('PrivateVSwitch', 'a PrivateVSwitch'),
  /** A {@link Router}. */
  ROUTER: brandedKind<Router>('Router', 'a Router'),
  /** An {@link ExternalNetwork}. */
  EXTERNAL_NETWORK: brandedKind<ExternalNetwork>('ExternalNetwork', "an ExternalNetwork (ExternalNetwork.ovh() or ExternalNetwork.named('public'))"),
  /** An {@link OfficeVpn}. */
  OFFICE_VPN: brandedKind<OfficeVpn>('OfficeVpn', 'an OfficeVpn'),
  /** A {@link ServerCluster}. */
  SERVER_CLUSTER: brandedKind<ServerCluster>('ServerCluster', 'a ServerCluster'),
  /** A {@link Machines}. */
  MACHINES: brandedKind<Machines>('Machines', 'Machines (new Machines(scope, id, { vswitch, flavor, ... }))'),
  /** A {@link MemcachedPool}. */
  MEMCACHED_POOL: brandedKind<MemcachedPool>('MemcachedPool', 'a MemcachedPool'),
  /** A {@link TaskBroker}. */
  TASK_BROKER: brandedKind<TaskBroker>('TaskBroker', 'a TaskBroker'),
  /** A {@link ClientDatabases}. */
  CLIENT_DATABASES: brandedKind<ClientDatabases>('ClientDatabases', 'a ClientDatabases'),
  /** A {@link ServerInstance}. */
  SERVER_INSTANCE: brandedKind<ServerInstance>('ServerInstance', 'a ServerInstance (one host of a ServerCluster)'),
  /** A {@link Connections}. */
  CONNECTIONS: brandedKind<Connections>('Connections', 'a Connections'),
  /** A {@link KeyPair}. */
  KEY_PAIR: brandedKind<KeyPair>('KeyPair', 'a KeyPair'),
  /** A {@link MachineImage}. */
  MACHINE_IMAGE: brandedKind<MachineImage>('MachineImage', 'a MachineImage (MachineImage.debian12() or MachineImage.debianNamed(...))'),
  /** A {@link CampaignCalendar}. */
  CAMPAIGN_CALENDAR: brandedKind<CampaignCalendar>('CampaignCalendar', 'a CampaignCalendar'),
  /** A {@link BackupSchedule}. */
  BACKUP_SCHEDULE: brandedKind<BackupSchedule>('BackupSchedule', 'a BackupSchedule (BackupSchedule.daily(...), .weekly(...) or .everyHours(...))'),
  /** A {@link HealthCheck}. */
  HEALTH_CHECK: brandedKind<HealthCheck>('HealthCheck', 'a HealthCheck (HealthCheck.http(...) or HealthCheck.tcp(...))'),
  /** A {@link Port}. */
  PORT: brandedKind<Port>('Port', 'a Port (Port.tcp(443), Port.tcpRange(...), ...)'),
  /** A {@link LoadShedding}. */
  LOAD_SHEDDING: brandedKind<LoadShedding>('LoadShedding', 'a LoadShedding (LoadShedding.toMiniSite(...))'),
  /** A {@link MagentoCode}. */
  MAGENTO_CODE: brandedKind<MagentoCode>('MagentoCode', 'a MagentoCode (MagentoCode.release(...) or MagentoCode.fromPipeline(...))'),
  /** A {@link CapacityModel}. */
  CAPACITY_MODEL: brandedKind<CapacityModel>('CapacityModel', 'a CapacityModel (CapacityModel.forTier(tier, ...))'),
  /** A {@link CountApplier}. */
  COUNT_APPLIER: brandedKind<CountApplier>('CountApplier', 'a CountApplier (CountApplier.githubWorkflow(...) or CountApplier.onMonitoringServer(...))'),
  /** A {@link ReactiveRule}. */
  REACTIVE_RULE: brandedKind<ReactiveRule>('ReactiveRule', 'a ReactiveRule (ReactiveRule.cpu(...), .requestsPerSecond(...) or .sessionsPerInstance(...))'),
  /** A {@link HostingStack}: a stack that writes host configs and artifacts next to its Terraform. */
  HOSTING_STACK: brandedKind<HostingStack>('HostingStack', 'a HostingStack'),
  /** A {@link StateBackend}. */
  STATE_BACKEND: brandedKind<StateBackend>('StateBackend', 'a StateBackend (StateBackend.local() or StateBackend.ovhObjectStorage(...))'),
  /** A {@link PolicyPack}. */
  POLICY_PACK: brandedKind<PolicyPack>('PolicyPack', 'a PolicyPack (PolicyPack.default() or new PolicyPack([...rules]))'),
  /** Any construct (the client a demand or a rule is declared for), of the same stack. */
  CONSTRUCT: { allowed: 'a construct', is: (x: unknown): x is IConstruct => Construct.isConstruct(x) === true } as PeerKind<IConstruct>,
  /** Anything with a {@link Connections}: a cluster, a tier, a balancer, a single server. */
  CONNECTABLE: { allowed: 'a construct with connections (IConnectable: a tier, a cluster, a server)', is: isConnectable } as PeerKind<IConnectable>,
  /**
   * A {@link Peer}: an address block (`Peer.ipv4`) or a construct (`Peer.of`), which must be in the
   * same stack. The kind of a prop that takes a peer (`adminPeer`).
   */
  PEER: {
    allowed: "a Peer (Peer.ipv4('198.51.100.0/24') or Peer.of(construct with connections))",
    is: (x: unknown): x is Peer => hasBrand(x, 'Peer'),
    anchor: (x: Peer) => peerConnections(x),
  } as PeerKind<Peer>,
  /**
   * A {@link Peer} or an {@link IConnectable}: what `Connections.allowFrom` takes, so that a construct
   * is passed as itself. The stack of a `Peer.of(construct)` is checked once the peer is unwrapped.
   */
  PEER_OR_CONNECTABLE: {
    allowed: "a Peer (Peer.ipv4('198.51.100.0/24') or Peer.of(construct)) or a construct with connections (IConnectable)",
    is: (x: unknown): x is Peer | IConnectable => hasBrand(x, 'Peer') || isConnectable(x),
  } as PeerKind<Peer | IConnectable>,
  /** An {@link IServerTier}: connections and one ServerCluster. */
  SERVER_TIER: {
    allowed: 'a server tier (IServerTier: a construct with a ServerCluster and its connections, e.g. a WebTier, AppTier or MagentoFrontends)',
    is: (x: unknown): x is IServerTier => Construct.isConstruct(x) === true && isConnectable(x) && hasBrand(plainMember(x, 'cluster'), 'ServerCluster'),
  } as PeerKind<IServerTier>,
  /** An {@link IMysqlDatabase}. */
  MYSQL_DATABASE: {
    allowed: 'a MySQL database (IMysqlDatabase, e.g. a MysqlReplication)',
    is: (x: unknown): x is IMysqlDatabase => isConnectable(x)
      && hasMembers(x, { writerAddress: 'string', readerAddresses: 'array', port: 'number', databaseName: 'string', applicationUser: 'string' })
      && isSecretMember(x, 'applicationPassword'),
  } as PeerKind<IMysqlDatabase>,
  /** An {@link IReplicatedMysqlDatabase}. */
  REPLICATED_MYSQL_DATABASE: {
    allowed: 'a replicated MySQL database whose servers answer a role check (IReplicatedMysqlDatabase, e.g. a MysqlReplication)',
    is: (x: unknown): x is IReplicatedMysqlDatabase => Kinds.MYSQL_DATABASE.is(x)
      && hasMembers(x, { memberHostnames: 'array' })
      && typeof (x as { allowRoleChecksFrom?: unknown }).allowRoleChecksFrom === 'function'
      && typeof (x as { acceptsApplicationFrom?: unknown }).acceptsApplicationFrom === 'function',
  } as PeerKind<IReplicatedMysqlDatabase>,
  /** An {@link IHttpBackend}. */
  HTTP_BACKEND: {
    allowed: 'an HTTP backend (IHttpBackend, e.g. an AppTier, OrderTracking or MagentoFrontends)',
    is: (x: unknown): x is IHttpBackend => isConnectable(x)
      && hasMembers(x, { backendAddresses: 'array', backendPort: 'number', healthCheckPath: 'string' }),
  } as PeerKind<IHttpBackend>,
  /** An {@link IRedisEndpoint}. */
  REDIS_ENDPOINT: {
    allowed: 'a Redis endpoint (IRedisEndpoint, e.g. a RedisServer or one of its instances)',
    is: (x: unknown): x is IRedisEndpoint => isConnectable(x)
      && hasMembers(x, { address: 'string', port: 'number' }) && isSecretMember(x, 'password'),
  } as PeerKind<IRedisEndpoint>,
  /** An {@link ISolrEndpoint}. */
  SOLR_ENDPOINT: {
    allowed: 'a Solr endpoint (ISolrEndpoint, e.g. a SolrServer)',
    is: (x: unknown): x is ISolrEndpoint => isConnectable(x) && hasMembers(x, { address: 'string', port: 'number', coreName: 'string' }),
  } as PeerKind<ISolrEndpoint>,
  /** An {@link INfsShare}. */
  NFS_SHARE: {
    allowed: 'an NFS share (INfsShare, e.g. a SharedFiles)',
    is: (x: unknown): x is INfsShare => hasMembers(x, { allowClient: 'function', mountOn: 'function' }),
  } as PeerKind<INfsShare>,
  /** An {@link IScalingRules}. */
  SCALING_RULES: {
    allowed: 'scaling rules (IScalingRules, e.g. a ScalingRules)',
    is: (x: unknown): x is IScalingRules => typeof x === 'object' && x !== null && memberKind(x, 'plan') !== undefined
      && Kinds.SERVER_TIER.is(plainMember(x, 'tier')),
  } as PeerKind<IScalingRules>,
  /** What a backup policy backs up: a {@link ServerCluster}, or a construct with one (`{ cluster }`). */
  BACKUP_TARGET: {
    allowed: 'a ServerCluster or a construct with one ({ cluster }: a tier, a database)',
    is: (x: unknown): x is ServerCluster | { readonly cluster: ServerCluster } => hasBrand(x, 'ServerCluster')
      || (typeof x === 'object' && x !== null && hasBrand(plainMember(x, 'cluster'), 'ServerCluster')),
    anchor: (x: ServerCluster | { readonly cluster: ServerCluster }) => (hasBrand(x, 'ServerCluster') ? x as ServerCluster : (x as { cluster: ServerCluster }).cluster),
  } as PeerKind<ServerCluster | { readonly cluster: ServerCluster }>,
  /** An {@link OctaviaTarget}: what `OctaviaBalancer.addTarget` returns; it belongs to the stack of its pool. */
  OCTAVIA_TARGET: {
    allowed: 'an OctaviaTarget (what OctaviaBalancer.addTarget(...) returns)',
    is: (x: unknown): x is OctaviaTarget => typeof x === 'object' && x !== null
      && Construct.isConstruct(plainMember(x, 'pool')) && Kinds.SERVER_TIER.is(plainMember(x, 'tier')),
    anchor: (x: OctaviaTarget) => x.pool,
  } as PeerKind<OctaviaTarget>,
};

/**
 * A short description of `value` for an error message, never its content when it may be a secret
 * and never the JSON of a construct: a construct as `<Class path>`, a Secret as `<Secret var.name>`,
 * another object by its class and member names. Strings, numbers, booleans, `undefined` and `null`
 * are returned as they are (a string cut to 80 characters), unless `secret`: then a string is
 * described by its length only.
 */
export function describeValue(value: unknown, secret = false): unknown {
  if (value === undefined || value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    if (secret) return `<a string of ${value.length} characters>`;
    return value.length > 80 ? `${value.slice(0, 77)}...` : value;
  }
  if (typeof value === 'function') return '<a function>';
  if (typeof value !== 'object') return `<a ${typeof value}>`;
  if (Construct.isConstruct(value)) return `<${value.constructor.name} ${value.node.path}>`;
  if (hasBrand(value, 'Secret')) return `<Secret var.${String((value as { variableName?: unknown }).variableName)}>`;
  if (hasBrand(value, 'Peer')) {
    const connectable = plainMember(value, 'connectable');
    if (connectable !== undefined) return `Peer.of(${String(describeValue(connectable))})`;
    return `Peer.ipv4(${String(describeValue(plainMember(value, 'cidr')))})`;
  }
  if (Array.isArray(value)) return `<an array of ${value.length} items>`;
  const name = value.constructor && value.constructor !== Object ? value.constructor.name : 'object';
  const keys = Object.keys(value);
  const shown = keys.slice(0, 6).join(', ') + (keys.length > 6 ? ', ...' : '');
  return `<${name === 'object' ? 'an object' : `a ${name}`} {${shown}}>`;
}

/**
 * The construct whose stack `peer` belongs to: the peer itself when it is a construct, its
 * `connections` for an interface implemented by a non-construct, its variable's stack for a Secret;
 * `undefined` for a value object that belongs to no stack (a Flavor, a HealthCheck).
 */
function stackAnchor(peer: unknown): IConstruct | undefined {
  if (typeof peer !== 'object' || peer === null) return undefined;
  if (Construct.isConstruct(peer)) return peer;
  if (hasBrand(peer, 'Secret')) return (peer as { stack?: IConstruct }).stack;
  const connections = plainMember(peer, 'connections');
  if (Construct.isConstruct(connections)) return connections;
  return undefined;
}

function stackOf(c: IConstruct): TerraformStack | undefined {
  try {
    return TerraformStack.of(c);
  } catch {
    return undefined;
  }
}

/**
 * Throws a {@link HostingStacksError} naming `scope` and `prop` when `peer` (a construct, an
 * interface implemented with connections, or a Secret) belongs to another stack than `scope`.
 * Wiring across stacks is refused: each stack is planned and applied on its own, so a reference
 * into another stack would name addresses of another network, a variable that stack does not
 * declare, or a scaling hook applying the wrong Terraform. No construct supports it today.
 * `anchorConstruct` names the construct whose stack counts when `peer` is not itself a construct,
 * has no `connections` and is no Secret.
 */
export function requireSameStack(scope: IConstruct, prop: string, peer: unknown, anchorConstruct?: IConstruct): void {
  const anchor = anchorConstruct ?? stackAnchor(peer);
  if (!anchor) return;
  const own = stackOf(scope);
  const theirs = stackOf(anchor);
  if (own && theirs && own !== theirs) {
    throw new HostingStacksError(scope, prop, describeValue(peer),
      `is in stack '${theirs.node.path}'; it must be in the same stack '${own.node.path}' (wiring across stacks is not supported)`);
  }
}

/**
 * Returns `value` when it is of `kind` and (for a construct, a connectable or a Secret) in the
 * stack of `scope`; throws a {@link HostingStacksError} naming `scope`, `prop`, a short safe
 * description of the value and what is allowed otherwise, a missing value included.
 */
export function requirePeer<T>(scope: IConstruct, prop: string, value: unknown, kind: PeerKind<T>): T {
  if (!kind.is(value)) {
    throw new HostingStacksError(scope, prop, describeValue(value, kind.secret), `must be ${kind.allowed}`);
  }
  requireSameStack(scope, prop, value, kind.anchor?.(value));
  return value;
}

/** Like {@link requirePeer}, but `undefined` is allowed (an optional prop) and returned as is. */
export function optionalPeer<T>(scope: IConstruct, prop: string, value: unknown, kind: PeerKind<T>): T | undefined {
  return value === undefined ? undefined : requirePeer(scope, prop, value, kind);
}

/**
 * Returns `values` when it is an array whose every item passes {@link requirePeer}; the error names
 * the item as `prop[i]`.
 */
export function requirePeers<T>(scope: IConstruct, prop: string, values: unknown, kind: PeerKind<T>): T[] {
  if (!Array.isArray(values)) {
    throw new HostingStacksError(scope, prop, describeValue(values), `must be an array, each item ${kind.allowed}`);
  }
  return values.map((v, i) => requirePeer(scope, `${prop}[${i}]`, v, kind));
}

/**
 * Returns `props` when it is an object, so that reading a prop cannot crash: a construct given
 * `undefined` or a string as its props throws a {@link HostingStacksError} naming `scope` instead.
 */
export function requireProps<T extends object>(scope: IConstruct, props: T | undefined, prop = 'props'): T {
  if (typeof props !== 'object' || props === null || Array.isArray(props)) {
    throw new HostingStacksError(scope, prop, describeValue(props), 'must be an object of props');
  }
  return props;
}

/**
 * Returns `value` when it is an object of options whose every key is one of `keys`: the check of a
 * nested option object (an `addTarget` options bag, an office peer, an archive) before any of its
 * members is read. A missing or non-object value throws a {@link HostingStacksError} naming
 * `scope` and `prop` instead of a `TypeError`; an unknown key (a typo such as `sha265`, or an
 * option of another construct) is refused rather than ignored, with the keys allowed.
 */
export function requireOptions<T extends object>(scope: IConstruct, prop: string, value: unknown, keys: readonly (keyof T & string)[]): T {
  return checkOptions<T>(value, keys, (at, shown, rule) => new HostingStacksError(scope, at === '' ? prop : `${prop}.${at}`, shown, rule));
}

/**
 * {@link requireOptions} for a factory that has no construct yet (`HealthCheck.http(options)`,
 * `ReactiveRule.cpu(options)`): the error names the factory (`HealthCheck.http: 'options.paht'
 * ...`). `undefined` stands for no options and is returned as `{}`.
 */
export function requireFactoryOptions<T extends object>(factory: string, value: unknown, keys: readonly (keyof T & string)[]): T {
  if (value === undefined) return {} as T;
  return checkOptions<T>(value, keys, (at, shown, rule) => HostingStacksError.ofFactory(factory, at === '' ? 'options' : `options.${at}`, shown, rule));
}

function checkOptions<T extends object>(value: unknown, keys: readonly string[], fail: (at: string, shown: unknown, rule: string) => Error): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Construct.isConstruct(value)) {
    throw fail('', describeValue(value), `must be an object of options (${keys.join(', ')})`);
  }
  const unknown = Object.keys(value).filter((k) => !keys.includes(k));
  if (unknown.length > 0) {
    throw fail(unknown[0], describeValue((value as Record<string, unknown>)[unknown[0]]), `is not an option here; the options are ${keys.join(', ')}`);
  }
  return value as T;
}

/** Like {@link requireOptions}, but `undefined` is allowed (optional options) and returned as is. */
export function optionalOptions<T extends object>(scope: IConstruct, prop: string, value: unknown, keys: readonly (keyof T & string)[]): T | undefined {
  return value === undefined ? undefined : requireOptions<T>(scope, prop, value, keys);
}

const DATA_KIND = Symbol.for('hosting-stacks.dataKind');

/**
 * Declares that `construct` serves data of `kind` ('MySQL database', 'Redis server', ...): the
 * data-isolation rule (HS-DATA-1) keeps such a construct out of the internet and the DMZ. A
 * construct calls it on itself (MysqlReplication, RedisServer, SolrServer do); a user's own data
 * construct can too. A non-enumerable `Symbol.for` property, so copies of the library agree and no
 * shape of members is guessed.
 */
export function declareDataKind(construct: IConstruct, kind: string): void {
  Object.defineProperty(construct, DATA_KIND, { value: kind, enumerable: false, writable: false });
}

/** The data kind `x` declared with {@link declareDataKind}, if any. */
export function dataKindOf(x: unknown): string | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const kind = (x as Record<symbol, unknown>)[DATA_KIND];
  return typeof kind === 'string' ? kind : undefined;
}
