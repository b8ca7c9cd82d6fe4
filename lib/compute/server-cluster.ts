import { Lazy, TerraformResource, TerraformStack, TerraformVariable, Token, Tokenization } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { BlockstorageVolumeV3 } from '../../.gen/providers/openstack/blockstorage-volume-v3';
import { ComputeInstanceV2 } from '../../.gen/providers/openstack/compute-instance-v2';
import { ComputeServergroupV2 } from '../../.gen/providers/openstack/compute-servergroup-v2';
import { Connections, IConnectable } from '../core/connections';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { requireEnumValue, requireIpv4AddressOrCidr, requireOpenstackName, requireTerraformVariableName } from '../core/choices';
import { kebabCase, resourceName } from '../core/naming';
import { escapeTerraformText, requireTerraformLiteral, resolveTerraformParts, resolveTerraformString } from '../core/terraform-text';
import { requireText, TextKind } from '../core/text';
import { IPrivateVSwitch, PlannedPort } from '../network/private-vswitch';
import { CloudConfig, ConfigSyntax, configDigestOf } from './cloud-config';
import { SynthPass } from '../core/synth-pass';
import { Flavor, FlavorSpec } from './flavor';
import { KeyPair } from './key-pair';
import { MachineImage } from './machine-image';
import { brand, hasBrand, Kinds, optionalPeer, requirePeer, requireProps } from '../core/peers';
import { withConstructPath } from '../config/template';
import { Site } from './site';
import { InterconnectPort, SiteInterconnect } from '../network/site-interconnect';
import { regionKeyOf } from '../core/region-scope';

/** Nova server-group policies. */
export enum ServerGroupPolicy {
  /** Never two members on one hypervisor; scheduling fails rather than break it. */
  ANTI_AFFINITY = 'anti-affinity',
  /** Spread when possible, co-locate rather than fail. */
  SOFT_ANTI_AFFINITY = 'soft-anti-affinity',
}

/** Props of {@link ServerCluster}. */
export interface ServerClusterProps {
  /** The vSwitch the instances' ports are on. */
  readonly vswitch: IPrivateVSwitch;
  /** Number of instances; when the cluster scales, the default of its count variable (the baseline). */
  readonly count: number;
  /**
   * Fewest instances the count variable accepts. Instances below it always exist; the others exist
   * while the variable asks for them. @default count
   */
  readonly minCount?: number;
  /**
   * Most instances. Every instance up to it is planned at synth (address, host name, configs,
   * balancer members with health checks), so scaling only changes a Terraform variable.
   * @default count
   */
  readonly maxCount?: number;
  /** Name of the Terraform variable holding the count when the cluster scales. @default - `<construct path in snake case>_count` */
  readonly countVariableName?: string;
  /** Flavor, named or picked from a sizing. */
  readonly flavor: Flavor;
  /** Boot volume size in GB. @default - the sizing's disk when the flavor was picked from one, else the flavor's disk */
  readonly bootVolumeGb?: number;
  /** Cinder volume type of the boot volumes (`classic`, `high-speed` on OVHcloud). @default - the cloud's default type */
  readonly volumeType?: string;
  /** Image. @default MachineImage.debian12() */
  readonly image?: MachineImage;
  /** Key pair for the login user. @default KeyPair.ofStack(this) */
  readonly keyPair?: KeyPair;
  /** Host name prefix; hosts are `<prefix>-1`, `<prefix>-2`, ... @default - the construct id in kebab case */
  readonly hostnamePrefix?: string;
  /** Server-group policy. @default ServerGroupPolicy.ANTI_AFFINITY */
  readonly placement?: ServerGroupPolicy;
  /** Specific planned addresses, one per instance. @default - the first `maxCount` of the cluster's reserved block */
  readonly addresses?: string[];
  /**
   * Consecutive planned addresses reserved for the cluster on its vSwitch (ignored with `addresses`):
   * its instances take the first `maxCount`, the rest keep room so that raising the count up to it
   * moves no other server's address and changes no other server's config, except the lists that
   * name members. Raising it later moves what was planned after it: set it once, with room.
   * @default maxCount
   */
  readonly addressCapacity?: number;
  /** Extra source addresses the ports may use (VIPs). @default - none */
  readonly allowedAddressPairs?: string[];
  /** Connections (security group) to use. @default - a new one for this cluster */
  readonly connections?: Connections;
  /**
   * The servers hold data that a rebuild from code and configs cannot restore (databases, caches
   * of sessions, search indexes, shared files, uploads). Such a cluster must be in a backup policy
   * or exempted with a reason. @default false
   */
  readonly stateful?: boolean;
  /**
   * The site (availability zone) of the servers and their boot volumes. A construct spanning sites
   * (a Galera cluster) gives it per cluster. @default - the nearest {@link Site} enclosing the cluster, else none: the cloud picks the zone
   */
  readonly site?: Site;
  /**
   * A second NIC (`ens4`) on the site's segment of this interconnect: what servers that replicate
   * between sites in different regions talk over (the first NIC stays on `vswitch`). The cluster
   * must be made in the scope of its Site, which must have a region of its own. @default - one NIC
   */
  readonly interconnect?: SiteInterconnect;
}

const HOST = Symbol.for('hosting-stacks.ServerInstance');

/** One file of a server, as written for review ({@link ServerInstance.reviewedHostFiles}). */
export interface ReviewedHostFile {
  /** Absolute path on the host. */
  readonly path: string;
  /** Content with Terraform references shown as `\${var.name}`. */
  readonly content: string;
  /** The file's language, when it is a config with a checker. */
  readonly syntax?: ConfigSyntax;
}

/** The instance metadata key holding the digest of the configuration the server was created with. */
export const CONFIG_METADATA_KEY = 'hosting-stacks:config';

/**
 * Planned addresses a scalable tier (web, application, database, Magento front-ends, static
 * content) keeps on its vSwitch by default: its count can grow up to it without moving any other
 * server's address.
 */
export const SCALABLE_TIER_ADDRESS_CAPACITY = 10;

/**
 * The address capacity of a scalable tier: `capacity` or {@link SCALABLE_TIER_ADDRESS_CAPACITY}.
 * The error names the tier's prop `maxProp` when its most servers (`maxCount`) do not fit.
 */
export function scalableTierAddressCapacity(tier: IConstruct, capacity: number | undefined, maxCount: number, maxProp: string, maxValue: number = maxCount): number {
  const resolved = capacity ?? SCALABLE_TIER_ADDRESS_CAPACITY;
  requireIntegerInRange(tier, 'addressCapacity', resolved, 1, MAX_CLUSTER_COUNT);
  if (maxCount > resolved) {
    throw new HostingStacksError(tier, maxProp, maxValue,
      `needs ${maxCount} servers and 'addressCapacity' keeps ${resolved} planned addresses for the tier; set 'addressCapacity' to at least ${maxCount} (on a deployed stack that moves the addresses planned after the tier, once)`);
  }
  return resolved;
}

/** One instance of a {@link ServerCluster}: its port, boot volume, server and cloud-init config. */
export class ServerInstance extends Construct {
  /** True when `x` is a {@link ServerInstance}. */
  public static isServerInstance(x: unknown): x is ServerInstance {
    return typeof x === 'object' && x !== null && HOST in x;
  }

  /** Host name. */
  public readonly hostname: string;
  /** Planned fixed address. */
  public readonly address: string;
  /** The port. */
  public readonly port: PlannedPort;
  /** Its second NIC's port, on the site's interconnect, when the cluster has one. */
  public readonly interconnectPort?: InterconnectPort;
  /** The address of its second NIC on the interconnect, when the cluster has one. */
  public readonly interconnectAddress?: string;
  /** The boot volume (what volume snapshots and backups act on). */
  public readonly bootVolume: BlockstorageVolumeV3;
  /** The server, construct id `Resource`. */
  public readonly resource: ComputeInstanceV2;
  /** What cloud-init does on first boot. */
  public readonly cloudConfig: CloudConfig;
  /** The resolved flavor. */
  public readonly flavor: FlavorSpec;
  /** The cluster it belongs to. */
  public readonly cluster: ServerCluster;
  /** 0-based position in the cluster. */
  public readonly index: number;
  /** True when the instance exists only while the cluster's count variable asks for it. */
  public readonly conditional: boolean;
  /**
   * For a conditional instance, the `count` (0 or 1) its resources carry; what names the instance
   * elsewhere (a load balancer member) carries it too, so nothing names a server that does not exist.
   */
  public readonly existence?: number;
  private readonly extraMetadata = new Map<string, string>();
  private readonly extensions = new Map<string, unknown>();

  constructor(cluster: ServerCluster, id: string, index: number, address: string, props: ServerClusterProps, groupId: string, bootGb: number) {
    super(cluster, id);
    // Made by ServerCluster only (it is exported as a type); a JavaScript caller gets an error, not a TypeError.
    requirePeer(this, 'cluster', cluster, Kinds.SERVER_CLUSTER);
    this.index = index;
    this.conditional = cluster.countVariable !== undefined && index >= cluster.minCount;
    Object.defineProperty(this, HOST, { value: true });
    this.cluster = cluster;
    this.flavor = cluster.flavor;
    this.hostname = `${cluster.hostnamePrefix}-${index + 1}`;
    this.cloudConfig = new CloudConfig(this.hostname, { owner: this });
    this.port = props.vswitch.addPort(this, 'Port', {
      connections: [cluster.connections],
      address,
      addressProp: props.addresses ? 'addresses' : 'addressCapacity',
      allowedAddressPairs: props.allowedAddressPairs,
    });
    this.address = this.port.address;
    this.interconnectPort = cluster.interconnect?.addPort(this, 'InterconnectPort', cluster.site!, [cluster.connections]);
    this.interconnectAddress = this.interconnectPort?.address;
    const imageId = (props.image ?? MachineImage.debian12()).idIn(this);
    this.bootVolume = new BlockstorageVolumeV3(this, 'BootVolume', {
      name: resourceName(this, 'boot'),
      size: bootGb,
      imageId,
      volumeType: props.volumeType,
      availabilityZone: cluster.site?.availabilityZone,
      // A newer "Debian 12" image must not replace the volume (and the data on it) at the next apply.
      lifecycle: { ignoreChanges: ['image_id'] },
    });
    const keyPair = props.keyPair ?? KeyPair.ofStack(this);
    // A conditional instance's port, volume and server carry `count = 0|1`, so their attributes are addressed as `[0]`.
    const ref = (r: TerraformResource, attribute: string) => (this.conditional ? Token.asString(`\${${r.terraformResourceType}.${r.friendlyUniqueId}[0].${attribute}}`) : r.getStringAttribute(attribute));
    this.resource = new ComputeInstanceV2(this, 'Resource', {
      name: this.hostname,
      flavorName: this.flavor.name,
      keyPair: keyPair.name,
      blockDevice: [{ uuid: ref(this.bootVolume, 'id'), sourceType: 'volume', destinationType: 'volume', bootIndex: 0, deleteOnTermination: false }],
      network: [{ port: ref(this.port.resource, 'id') }, ...(this.interconnectPort ? [{ port: ref(this.interconnectPort.resource, 'id') }] : [])],
      availabilityZone: cluster.site?.availabilityZone,
      schedulerHints: [{ group: groupId }],
      // cdktf's preparing resolve (before the aspects run) only looks for references to other stacks:
      // it is given the references the user data holds, not the document rendered, which is done
      // once, in the synth pass.
      // The user data is resolved here, once, with the digest (see `renderUserData`): cdktf then meets
      // a plain string.
      userData: Lazy.stringValue({ produce: (context) => (context.preparing ? this.cloudConfig.references().join('\n') : this.renderUserData()) }),
      metadata: Lazy.anyValue({
        // The path and the values are text for Nova; a token among them (a count variable) stays a reference.
        produce: (context) => ({ 'hosting-stacks:path': escapeTerraformText(this.node.path), [CONFIG_METADATA_KEY]: context.preparing ? '' : this.configDigest(), ...Object.fromEntries([...this.extraMetadata].map(([k, v]) => [k, escapeTerraformText(v)])) }),
      }) as unknown as Record<string, string>,
      // A new user_data would replace the server (Nova cannot change it), and Terraform replaces
      // every changed server at once: both directors, the database primary, all front-ends. So
      // `terraform apply` leaves running servers as they are, and `hosting-stacks-rollout` replaces
      // the servers whose configuration changed one at a time, each from its own boot volume, and
      // waits until the server prints that its new configuration is ready. The metadata keeps the
      // digest the server was created with: what the rollout compares. Other metadata (addMetadata)
      // is updated in place, which Nova allows and the metadata service serves at once.
      lifecycle: { ignoreChanges: ['user_data', `metadata["${CONFIG_METADATA_KEY}"]`] },
    });
    if (this.conditional) {
      const exists = Token.asNumber(`\${var.${cluster.countVariable!.friendlyUniqueId} > ${index} ? 1 : 0}`);
      for (const r of [this.port.resource, ...(this.interconnectPort ? [this.interconnectPort.resource] : []), this.bootVolume, this.resource]) r.count = exists;
      this.existence = exists;
    }
    this.node.addValidation({
      validate: () => {
        try {
          this.renderUserData();
          return [];
        } catch (e) {
          return [(e as Error).message];
        }
      },
    });
  }

  /**
   * The server's part `key` (e.g. its counted-target lists), made by `create` at the first call and
   * the same object after: state a helper keeps for one server lives on the server's construct.
   */
  public extension<T>(key: string, create: () => T): T {
    if (!this.extensions.has(key)) this.extensions.set(key, create());
    return this.extensions.get(key) as T;
  }

  /**
   * Adds a metadata entry Nova serves the running server at `169.254.169.254/openstack/latest/meta_data.json`
   * (`meta`). Unlike user_data, a changed value is applied in place, without replacing the server:
   * what a server must follow while it runs (the monitoring server's view of each tier's count).
   */
  public addMetadata(key: string, value: string): void {
    if (key === CONFIG_METADATA_KEY || key === 'hosting-stacks:path' || this.extraMetadata.has(key)) {
      throw new HostingStacksError(this, 'metadata', key, 'is already set on this server; each key once, and not hosting-stacks:path or ' + CONFIG_METADATA_KEY);
    }
    requireText(this, 'metadata', key, TextKind.WORD, { pattern: /^[A-Za-z0-9:_.-]{1,255}$/, allowed: "must be 1 to 255 letters, digits, ':', '_', '.' or '-' (Nova's metadata key)" });
    this.extraMetadata.set(key, value);
  }

  /** The Terraform address of the server (`openstack_compute_instance_v2.<id>`, with `[0]` when conditional). */
  public get terraformAddress(): string {
    return `${this.resource.terraformResourceType}.${this.resource.friendlyUniqueId}${this.conditional ? '[0]' : ''}`;
  }

  /**
   * The files cloud-init writes on this server, sorted by path, with Terraform references resolved
   * for review (`\${var.db_password}`): what HostingStack writes under `configs/` and the policy
   * pack reads. Within a synth pass, resolved once.
   */
  public reviewedHostFiles(): ReviewedHostFile[] {
    return SynthPass.memo(this, 'reviewedHostFiles', () => this.cloudConfig.hostFiles.map((f) => ({ path: f.path, content: this.resolveForReview(f.content), syntax: f.syntax })));
  }

  private resolveForReview(content: string): string {
    if (!Tokenization.isResolvable(content) && !content.includes('${')) return content;
    return resolveTerraformString(this, content);
  }

  /**
   * The SHA-256 of this server's configuration (`configDigestOf`): its `#cloud-config` without the
   * readiness step, as Terraform receives it (template sequences escaped, references unevaluated).
   * Call at synth, once every construct added its part.
   */
  public configDigest(): string {
    return SynthPass.memo(this, 'configDigest', () => configDigestOf(this.resolvedDocument(false)));
  }

  /**
   * The `#cloud-config` without the readiness step, escaped for Terraform and resolved: references
   * as Terraform text. Resolved once per synth pass for both the digest and the user data, which is
   * this text plus the readiness step (a step without references: the same text cdktf would make
   * of the whole document).
   */
  private resolvedDocument(compress: boolean): string {
    return SynthPass.memo(this, compress ? 'resolvedDocument:compressed' : 'resolvedDocument:plain', () => {
      // Escaped and resolved piece by piece: the pieces a tier's servers share are done once.
      const parts = this.cloudConfig.renderParts({ compress }).map((part) => SynthPass.memoTextInStack(this, 'escaped part', part, () => escapeTerraformTemplate(part)));
      return resolveTerraformParts(this, parts);
    });
  }

  /**
   * The user data as Terraform receives it (escaped, references as Terraform text), within Nova's
   * limit; the error names this instance's path when it does not fit.
   */
  private renderUserData(): string {
    try {
      return SynthPass.memo(this, 'userData', () => {
        const configDigest = this.configDigest();
        const compress = this.cloudConfig.needsCompression({ configDigest });
        return this.resolvedDocument(compress) + escapeTerraformTemplate(this.cloudConfig.readinessStep(configDigest));
      });
    } catch (e) {
      // The cloud-config names its owner, this instance (user data over Nova's limit: its size and
      // the limit); a renderer's refusal names its construct. Anything else is said for this instance.
      if (e instanceof HostingStacksError) throw e;
      throw new HostingStacksError(this, 'user_data', `cloud-config of ${this.hostname}`, `could not be rendered: ${(e as Error).message}`);
    }
  }
}

/**
 * N instances of one role: an anti-affinity server group, one boot volume, planned port and
 * cloud-init config per instance, a shared security group, the stack's key pair and an image
 * looked up by name. The flavor is named or picked from a sizing (vCPU, RAM, disk).
 */
export class ServerCluster extends Construct implements IConnectable {
  /** True when `x` is a {@link ServerCluster} (a `Symbol.for` brand: look-alike objects are not). */
  public static isServerCluster(x: unknown): x is ServerCluster {
    return hasBrand(x, 'ServerCluster');
  }

  /** The network intent shared by all instances. */
  public readonly connections: Connections;
  /** The instances, in order. */
  public readonly instances: ServerInstance[];
  /** The server group, construct id `ServerGroup`. */
  public readonly serverGroup: ComputeServergroupV2;
  /** The resolved flavor. */
  public readonly flavor: FlavorSpec;
  /** Host name prefix. */
  public readonly hostnamePrefix: string;
  /** Boot volume size in GB. */
  public readonly bootVolumeGb: number;
  /** The vSwitch. */
  public readonly vswitch: IPrivateVSwitch;
  /** Fewest instances. */
  public readonly minCount: number;
  /** Instances by default (the baseline when scaling). */
  public readonly count: number;
  /** Most instances; all of them are planned. */
  public readonly maxCount: number;
  /** Planned addresses reserved for the cluster (its instances take the first `maxCount`). */
  public readonly addressCapacity: number;
  /** The Terraform variable holding the count, when the cluster scales (minCount < maxCount). */
  public readonly countVariable?: TerraformVariable;
  /** True when the servers hold data that must be backed up. */
  public readonly stateful: boolean;
  /** The site (availability zone) of the servers, when they have one. */
  public readonly site?: Site;
  /** The interconnect the servers' second NIC is on, when they have one. */
  public readonly interconnect?: SiteInterconnect;
  private readonly backupPolicyPaths: string[] = [];
  private exemption?: string;
  private scalingRulesValue?: IConstruct;
  private scalingHookValue?: IConstruct;

  constructor(scope: Construct, id: string, props: ServerClusterProps) {
    super(scope, id);
    brand(this, 'ServerCluster');
    requireProps(this, props);
    requirePeer(this, 'vswitch', props.vswitch, Kinds.PRIVATE_VSWITCH);
    requirePeer(this, 'flavor', props.flavor, Kinds.FLAVOR);
    optionalPeer(this, 'image', props.image, Kinds.MACHINE_IMAGE);
    optionalPeer(this, 'keyPair', props.keyPair, Kinds.KEY_PAIR);
    optionalPeer(this, 'connections', props.connections, Kinds.CONNECTIONS);
    this.stateful = props.stateful ?? false;
    if (props.site !== undefined && !Site.isSite(props.site)) throw new HostingStacksError(this, 'site', props.site, "must be a Site (new Site(stack, 'SiteA', { availabilityZone: 'eu-west-par-a' }))");
    this.site = props.site ?? Site.of(this);
    if (this.site?.region !== undefined && regionKeyOf(this) !== this.site.node.path) {
      throw new HostingStacksError(this, 'site', this.site.node.path, "has a region of its own: make the cluster in the Site's scope, so the site's provider (its region) applies to the servers and everything they use");
    }
    if (regionKeyOf(props.vswitch) !== regionKeyOf(this)) {
      throw new HostingStacksError(this, 'vswitch', props.vswitch.node.path, `is in another region than the cluster (networks are regional): give a vSwitch made in ${this.site?.region !== undefined ? `the scope of ${this.site.node.path}` : "the stack's region"}`);
    }
    if (props.interconnect !== undefined) {
      if (!SiteInterconnect.isSiteInterconnect(props.interconnect)) throw new HostingStacksError(this, 'interconnect', props.interconnect, 'must be a SiteInterconnect');
      if (this.site?.region === undefined) throw new HostingStacksError(this, 'interconnect', props.interconnect.node.path, 'needs the cluster in a Site with a region of its own (an interconnect joins regions)');
      props.interconnect.segmentOf(this, this.site);
      this.interconnect = props.interconnect;
    }
    ({ count: this.count, minCount: this.minCount, maxCount: this.maxCount } = resolveCounts(this, props));
    this.flavor = props.flavor.resolve(this);
    this.vswitch = props.vswitch;
    this.bootVolumeGb = props.bootVolumeGb ?? this.flavor.sizing?.diskGb ?? this.flavor.diskGb;
    requireIntegerInRange(this, 'bootVolumeGb', this.bootVolumeGb, 1, 16384);
    this.hostnamePrefix = props.hostnamePrefix ?? kebabCase(id);
    requireText(this, 'hostnamePrefix', this.hostnamePrefix, TextKind.NAME, {
      pattern: /^[a-z][a-z0-9-]{0,50}$/,
      allowed: 'must be lower-case letters, digits and dashes, starting with a letter (at most 51 characters)',
    });
    if (props.addresses && props.addresses.length !== this.maxCount) {
      throw new HostingStacksError(this, 'addresses', props.addresses, `must give exactly one address per instance (${this.maxCount})`);
    }
    this.addressCapacity = props.addresses ? this.maxCount : props.addressCapacity ?? this.maxCount;
    requireIntegerInRange(this, 'addressCapacity', this.addressCapacity, 1, MAX_CLUSTER_COUNT);
    if (this.maxCount > this.addressCapacity) {
      throw new HostingStacksError(this, 'maxCount', this.maxCount, `must not exceed 'addressCapacity' (${this.addressCapacity}): the cluster's reserved addresses; raising the capacity moves the addresses planned after it on ${this.vswitch.node.path}`);
    }
    const capacityProp = props.addressCapacity !== undefined ? 'addressCapacity' : props.maxCount !== undefined ? 'maxCount' : 'count';
    const reserved = props.addresses ?? this.vswitch.reserveAddresses(this, this.addressCapacity, capacityProp);
    const placement = requireEnumValue(this, 'placement', props.placement ?? ServerGroupPolicy.ANTI_AFFINITY, ServerGroupPolicy, 'ServerGroupPolicy');
    (props.image ?? MachineImage.debian12()).validate(this, 'image');
    if (props.volumeType !== undefined) requireOpenstackName(this, 'volumeType', props.volumeType, 'a Cinder volume type name');
    for (const pair of props.allowedAddressPairs ?? []) requireIpv4AddressOrCidr(this, 'allowedAddressPairs', pair, '10.0.1.10');
    requireTerraformLiteral(this, 'volumeType', props.volumeType, true);
    this.connections = props.connections ?? new Connections(this, 'Connections');
    this.serverGroup = new ComputeServergroupV2(this, 'ServerGroup', {
      name: resourceName(this),
      policies: [placement],
    });
    this.instances = [];
    if (this.minCount < this.maxCount) {
      const name = requireTerraformVariableName(this, 'countVariableName', props.countVariableName ?? `${snakePath(this)}_count`);
      this.countVariable = new TerraformVariable(this, 'Count', {
        type: 'number',
        default: this.count,
        description: escapeTerraformText(`Instances of ${this.node.path} (${this.minCount} to ${this.maxCount}); campaigns and the scaling hook set it`),
        nullable: false,
        validation: [
          {
            condition: `\${var.${name} >= ${this.minCount} && var.${name} <= ${this.maxCount} && floor(var.${name}) == var.${name}}`,
            errorMessage: `${name} must be a whole number from ${this.minCount} to ${this.maxCount}.`,
          },
        ],
      });
      this.countVariable.overrideLogicalId(name);
    }
    const serverGroupId = this.serverGroup.id;
    for (let i = 0; i < this.maxCount; i++) {
      this.instances.push(new ServerInstance(this, `Instance${i + 1}`, i, reserved[i], props, serverGroupId, this.bootVolumeGb));
    }
  }

  /** The instances' planned addresses, in order. */
  public get addresses(): string[] {
    return this.instances.map((i) => i.address);
  }

  /** Records that a backup policy covers these servers; called by the backup construct. */
  public addBackupPolicy(policyPath: string): void {
    if (!this.backupPolicyPaths.includes(policyPath)) this.backupPolicyPaths.push(policyPath);
  }

  /** The paths of the backup policies covering these servers. */
  public get backupPolicies(): readonly string[] {
    return [...this.backupPolicyPaths];
  }

  /** Exempts stateful servers from backup; the reason is required and kept for review. */
  public exemptFromBackup(reason: string): void {
    if (!reason || !reason.trim()) throw new HostingStacksError(this, 'reason', reason, 'must say why these stateful servers need no backup');
    this.exemption = reason;
  }

  /** Why these servers are exempt from backup, if they are. */
  public get backupExemption(): string | undefined {
    return this.exemption;
  }

  /** Runs `configure` on every instance's cloud-init config. */
  /** The scaling rules of the cluster's tier (one set per tier), once a ScalingRules took the slot. */
  public get scalingRules(): IConstruct | undefined {
    return this.scalingRulesValue;
  }

  /**
   * The scaling hook (a PrometheusScaling) that changes this cluster's count for the load, if any: a
   * campaign's scheduled steps then only raise the count (`count-apply.py --keep-raised`).
   */
  public get scalingHook(): IConstruct | undefined {
    return this.scalingHookValue;
  }

  /** Takes the cluster's scaling-rules slot for `rules`; throws naming `rules` when another set holds it. */
  public attachScalingRules(rules: IConstruct, tierPath: string): void {
    if (this.scalingRulesValue && this.scalingRulesValue !== rules) {
      throw new HostingStacksError(rules, 'tier', tierPath, `already has scaling rules (${this.scalingRulesValue.node.path}); a tier has one set of rules`);
    }
    this.scalingRulesValue = rules;
  }

  /** Takes the cluster's scaling-hook slot for `hook`; throws naming `hook` when another hook holds it. */
  public attachScalingHook(hook: IConstruct, prop: string): void {
    if (this.scalingHookValue && this.scalingHookValue !== hook) {
      throw new HostingStacksError(hook, prop, this.node.path, `is already scaled by ${this.scalingHookValue.node.path}; one monitoring server per tier`);
    }
    this.scalingHookValue = hook;
  }

  public configureHosts(configure: (host: ServerInstance) => void): void {
    // A value no construct checked, refused by renderTemplate's backstop, names the server.
    this.instances.forEach((host) => withConstructPath(host, () => configure(host)));
  }
}

/** The instance counts of a cluster: what it runs, the fewest and the most it may run. */
export interface ClusterCounts {
  readonly count: number;
  readonly minCount: number;
  readonly maxCount: number;
}

/**
 * The most servers one cluster holds: a campaign peak's front-ends. Its addresses are planned on
 * one vSwitch, whose CIDR must hold them (a /22 holds 1,000 with room for the rest); the vSwitch
 * says so at synth when they do not fit.
 */
export const MAX_CLUSTER_COUNT = 1000;

/**
 * The one check of a cluster's counts, for ServerCluster and for every tier that takes counts in
 * its props before it makes its cluster (so the error names the tier): integers from 1 to
 * {@link MAX_CLUSTER_COUNT}, `minCount <= count <= maxCount`; `minCount` and `maxCount` default to
 * `count`.
 */
export function resolveCounts(scope: IConstruct, props: { readonly count: number; readonly minCount?: number; readonly maxCount?: number }): ClusterCounts {
  requireIntegerInRange(scope, 'count', props.count, 1, MAX_CLUSTER_COUNT);
  const maxCount = props.maxCount ?? props.count;
  const minCount = props.minCount ?? props.count;
  requireIntegerInRange(scope, 'maxCount', maxCount, 1, MAX_CLUSTER_COUNT);
  requireIntegerInRange(scope, 'minCount', minCount, 1, MAX_CLUSTER_COUNT);
  if (minCount > props.count) throw new HostingStacksError(scope, 'minCount', minCount, `must not exceed 'count' (${props.count})`);
  if (props.count > maxCount) throw new HostingStacksError(scope, 'count', props.count, `must not exceed 'maxCount' (${maxCount})`);
  return { count: props.count, minCount, maxCount };
}

/** Every {@link ServerInstance} below `scope`, in tree order. */
export function findHosts(scope: IConstruct): ServerInstance[] {
  return scope.node.findAll().filter(ServerInstance.isServerInstance);
}

/**
 * Escapes the Terraform template sequences `${` and `%{` in literal text (`$${`, `%%{`), so daemon
 * configs such as Apache's `%{REQUEST_SCHEME}` or Tomcat's `${catalina.base}` reach the host as written.
 * cdktf token markers (`${TfToken[...]}`, e.g. a Secret's value) are kept: they resolve to real references.
 */
export function escapeTerraformTemplate(text: string): string {
  return escapeTerraformText(text);
}

function snakePath(scope: IConstruct): string {
  const stack = TerraformStack.of(scope);
  return scope.node.scopes
    .slice(scope.node.scopes.indexOf(stack) + 1)
    .map((s) => s.node.id)
    .join('_')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_');
}


/**
 * The workers a server of a tier runs in parallel (Apache workers, PHP-FPM children, Tomcat
 * threads): what its capacity is derived from.
 */
export interface TierWorkers {
  /** Workers per server. */
  readonly perServer: number;
  /** What they are, for messages and reviews: 'PHP-FPM children'. */
  readonly what: string;
}

/**
 * The kind of data a construct serves, as it declares it with `declareDataKind` ('MySQL database',
 * 'Redis server', 'Solr server'): the data-isolation rule (HS-DATA-1) keeps such a construct out of
 * the internet and the DMZ.
 */
export type DataKind = string;

/**
 * A construct whose servers are one {@link ServerCluster}: web, app, front-end tiers, and the data
 * tiers (databases, caches, search). Balancers take these as targets; capacity, monitoring, scaling
 * and the policy pack read what a tier declares here instead of asking its class.
 *
 * A tier's scaling is its cluster's: the count variable and the one scaling slot
 * (`cluster.scalingRules` and `cluster.scalingHook`, taken with `attachScalingRules` and
 * `attachScalingHook`). Scaling changes the cluster's count, so the slot is one per cluster however
 * many tier objects name that cluster; a slot on the tier would let two of them scale one count.
 */
export interface IServerTier extends IConstruct, IConnectable {
  /** The servers; their count variable and scaling slot are the tier's. */
  readonly cluster: ServerCluster;
  /** The workers each server runs in parallel, when the tier knows them (its capacity follows). */
  readonly workers?: TierWorkers;
  /** The port Apache answers `/server-status` on (loopback and monitoring), for an Apache-based tier. */
  readonly apacheStatusPort?: number;
  /**
   * The kind of data the tier serves, the one it declared with `declareDataKind` (so `dataKindOf(tier)`
   * gives the same). @default - none: the tier serves no data (web, app and front-end tiers)
   */
  readonly dataKind?: DataKind;
}
