import { Construct } from 'constructs';
import { SharedfilesystemShareAccessV2 } from '../../.gen/providers/openstack/sharedfilesystem-share-access-v2';
import { SharedfilesystemShareV2 } from '../../.gen/providers/openstack/sharedfilesystem-share-v2';
import { SharedfilesystemSharenetworkV2 } from '../../.gen/providers/openstack/sharedfilesystem-sharenetwork-v2';
import { ConfigSyntax, HostFile } from '../compute/cloud-config';
import { Flavor } from '../compute/flavor';
import { ServerCluster, ServerInstance } from '../compute/server-cluster';
import { IConnectable } from '../core/connections';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { requireEnumValue, requireIpv4Cidr } from '../core/choices';
import { kebabCase, resourceName } from '../core/naming';
import { escapeTerraformText, requireTerraformLiteral } from '../core/terraform-text';
import { requireText, TextKind } from '../core/text';
import { Port } from '../core/port';
import { IPrivateVSwitch } from '../network/private-vswitch';
import { INfsShare } from './nfs';
import {
  NFS4_PORT,
  NFS_EXPORT_OPTIONS,
  NFS_MOUNT_OPTIONS,
  renderNfsAutomountUnit,
  renderNfsExports,
  renderNfsMountUnit,
  renderNfsServerConf,
  systemdUnitNameForPath,
} from './nfs-config';
import { Kinds, optionalPeer, requirePeer, requireProps } from '../core/peers';

/** Where the shared files are served from. */
export enum NfsBackend {
  /** An OpenStack Manila share (OVHcloud "File Storage Service"): no server to run. */
  MANILA = 'manila',
  /** A Debian 12 VM running the kernel NFS server (nfs-kernel-server), NFSv4 only. */
  NFS_SERVER_VM = 'nfs-server-vm',
}

/** Manila's share type on OVHcloud Public Cloud (one availability zone, DHSS=True: needs a share network). */
export const OVH_MANILA_SHARE_TYPE = 'standard-1az';

/** Where the NFS server VM keeps the shared folders (`<root>/<name>`). */
export const NFS_SERVER_EXPORT_ROOT = '/srv/nfs';

/** GB of the NFS server VM's boot volume kept for the system, on top of the share's size. */
export const NFS_SERVER_SYSTEM_GB = 10;

/** nfsd kernel threads of the NFS server VM (nfs-utils' default is 8; web servers open many files at once). */
export const NFS_SERVER_THREADS = 32;

/** Seconds a client's mount waits for the server before giving up until the next access. */
export const NFS_MOUNT_TIMEOUT_SECONDS = 30;

/** Paths of the files the NFS server VM and its clients get. */
export const NFS_PATHS = {
  exports: '/etc/exports',
  serverConf: '/etc/nfs.conf.d/hosting-stacks.conf',
  unitDir: '/etc/systemd/system',
} as const;

/** Props of {@link SharedFiles}. */
export interface SharedFilesProps {
  /** Where the files are served from. @default NfsBackend.MANILA */
  readonly backend?: NfsBackend;
  /** Size of the share in GB. */
  readonly sizeGb: number;
  /** Name of the share: the Manila share name suffix and the NFS server's folder under /srv/nfs. @default - the construct id in kebab case */
  readonly shareName?: string;
  /** MANILA: Manila share type. @default OVH_MANILA_SHARE_TYPE ('standard-1az') */
  readonly shareType?: string;
  /**
   * The vSwitch the share is served on: MANILA's share network is created on its network and
   * subnet (OVHcloud's share type creates a share server there, which takes an address from the
   * subnet's DHCP pool); NFS_SERVER_VM's server is placed on it.
   */
  readonly vswitch: IPrivateVSwitch;
  /** NFS_SERVER_VM: flavor of the server (required for that backend). @default - none */
  readonly flavor?: Flavor;
  /** NFS_SERVER_VM: host name prefix. @default - the construct id in kebab case */
  readonly hostnamePrefix?: string;
}

/** One client network allowed to mount the share. */
export interface NfsClientAccess {
  /** The client construct. */
  readonly client: IConnectable;
  /** The client's network. */
  readonly cidr: string;
  /** MANILA: the access rule; undefined for the NFS server VM. */
  readonly resource?: SharedfilesystemShareAccessV2;
}

/**
 * Files shared over NFSv4 between tiers (Magento's media between back-office, front-ends and the
 * DMZ content server), from either an OpenStack Manila share or an NFS server VM:
 *
 * - `MANILA`: `openstack_sharedfilesystem_share_v2` (NFS) on a share network created on the vSwitch's
 *   network and subnet (`openstack_sharedfilesystem_sharenetwork_v2`), and one `ip` access rule (rw)
 *   per client network; the export path is Manila's first export location, a Terraform reference
 *   resolved at apply.
 * - `NFS_SERVER_VM`: one stateful Debian 12 server with nfs-kernel-server, NFSv4 only (no rpcbind,
 *   statd or mountd ports), `/etc/exports` listing exactly the client networks, and TCP 2049 open
 *   only to the clients' security groups.
 *
 * Clients mount it with a systemd `.mount` unit started by an `.automount` unit, so a share not yet
 * ready when a client boots is mounted on the next access instead of never.
 */
export class SharedFiles extends Construct implements INfsShare {
  /** The backend. */
  public readonly backend: NfsBackend;
  /** Size in GB. */
  public readonly sizeGb: number;
  /** Name of the share. */
  public readonly shareName: string;
  /** MANILA: the share, construct id `Resource`. */
  public readonly share?: SharedfilesystemShareV2;
  /** MANILA: the share network on the vSwitch's network and subnet, construct id `ShareNetwork`. */
  public readonly shareNetwork?: SharedfilesystemSharenetworkV2;
  /** The vSwitch the share is served on. */
  public readonly vswitch: IPrivateVSwitch;
  /** NFS_SERVER_VM: the server. */
  public readonly server?: ServerCluster;
  /** NFS_SERVER_VM: the exported folder on the server. */
  public readonly exportPath?: string;
  /** What clients mount: `address:/path`, or a Terraform reference to Manila's export location. */
  public readonly remotePath: string;
  private readonly accessList: NfsClientAccess[] = [];

  constructor(scope: Construct, id: string, props: SharedFilesProps) {
    super(scope, id);
    requireProps(this, props);
    requirePeer(this, 'vswitch', props.vswitch, Kinds.PRIVATE_VSWITCH);
    optionalPeer(this, 'flavor', props.flavor, Kinds.FLAVOR);
    this.backend = requireEnumValue(this, 'backend', props.backend ?? NfsBackend.MANILA, NfsBackend, 'NfsBackend');
    requireIntegerInRange(this, 'sizeGb', props.sizeGb, 1, 16384);
    this.sizeGb = props.sizeGb;
    this.shareName = props.shareName ?? kebabCase(id);
    requireText(this, 'shareName', this.shareName, TextKind.NAME, {
      pattern: /^[a-z][a-z0-9-]{0,62}$/,
      allowed: 'must be lower-case letters, digits and dashes, starting with a letter (at most 63 characters)',
    });

    this.vswitch = props.vswitch;

    if (this.backend === NfsBackend.MANILA) {
      for (const p of ['flavor', 'hostnamePrefix'] as const) {
        if (props[p] !== undefined) throw new HostingStacksError(this, p, describe(props[p]), 'applies only to the NFS_SERVER_VM backend');
      }
      requireTerraformLiteral(this, 'shareType', props.shareType, true);
      const name = resourceName(this);
      // Created here, on a subnet of the same apply: a share network id from outside could only name
      // a subnet that does not exist yet, or one the stack does not manage.
      this.shareNetwork = new SharedfilesystemSharenetworkV2(this, 'ShareNetwork', {
        name,
        description: escapeTerraformText(`hosting-stacks: ${this.node.path} on ${this.vswitch.node.path}`),
        neutronNetId: this.vswitch.networkId,
        neutronSubnetId: this.vswitch.subnetId,
      });
      this.share = new SharedfilesystemShareV2(this, 'Resource', {
        name,
        description: escapeTerraformText(`hosting-stacks: ${this.node.path}`),
        shareProto: 'NFS',
        size: this.sizeGb,
        shareType: props.shareType ?? OVH_MANILA_SHARE_TYPE,
        shareNetworkId: this.shareNetwork.id,
      });
      this.remotePath = this.share.exportLocations.get(0).path;
    } else {
      if (!props.flavor) throw new HostingStacksError(this, 'flavor', undefined, 'is required for the NFS_SERVER_VM backend');
      if (props.shareType !== undefined) throw new HostingStacksError(this, 'shareType', props.shareType, 'applies only to the MANILA backend');
      this.exportPath = `${NFS_SERVER_EXPORT_ROOT}/${this.shareName}`;
      this.server = new ServerCluster(this, 'Server', {
        vswitch: this.vswitch,
        count: 1,
        flavor: props.flavor,
        stateful: true,
        bootVolumeGb: this.sizeGb + NFS_SERVER_SYSTEM_GB,
        hostnamePrefix: props.hostnamePrefix ?? kebabCase(id),
      });
      const host = this.server.instances[0];
      this.remotePath = `${host.address}:${this.exportPath}`;
      this.configureServer(host, this.exportPath);
    }
    this.node.addValidation({
      validate: () => (this.accessList.length === 0 ? [`${this.node.path}: 'clients' ([]) must hold at least one network; call allowClient(client, cidr) for each network that mounts the share`] : []),
    });
  }

  /** The client networks allowed so far, in call order. */
  public get clients(): readonly NfsClientAccess[] {
    return [...this.accessList];
  }

  /** The networks that may mount the share, without duplicates, in call order. */
  public get clientCidrs(): readonly string[] {
    return [...new Set(this.accessList.map((a) => a.cidr))];
  }

  /**
   * Opens the share read-write to `client` on the network `cidr`: a Manila `ip` access rule for the
   * network, or an `/etc/exports` entry for it plus TCP 2049 from the client's security group.
   * Calling it again for the same network adds no second rule or entry.
   */
  public allowClient(client: IConnectable, cidr: string): void {
    requirePeer(this, 'client', client, Kinds.CONNECTABLE);
    const block = requireIpv4Cidr(this, 'cidr', cidr, '10.0.2.0/24');
    if (block.prefix === 0) throw new HostingStacksError(this, 'cidr', cidr, 'is the whole internet; a share is opened to client networks only');
    const existing = this.accessList.find((a) => a.cidr === block.text);
    let resource = existing?.resource;
    if (this.share && !existing) {
      resource = new SharedfilesystemShareAccessV2(this, `Access-${block.text.replace(/[./]/g, '_')}`, {
        shareId: this.share.id,
        accessType: 'ip',
        accessTo: block.text,
        accessLevel: 'rw',
      });
    }
    if (this.server) this.server.connections.allowFrom(client, Port.tcp(NFS4_PORT), `NFSv4 from ${client.connections.owner.node.path}`);
    if (!this.accessList.some((a) => a.cidr === block.text && a.client === client)) this.accessList.push({ client, cidr: block.text, resource });
  }

  /**
   * Mounts the share on `host` at `mountPoint`: nfs-common, a `<escaped mount point>.mount` unit
   * (`Type=nfs4`, `Options=_netdev,nofail,hard,noatime,vers=4.2`) and the `.automount` unit that
   * starts it, enabled.
   */
  public mountOn(host: ServerInstance, mountPoint: string): void {
    this.addMountUnits(host, mountPoint);
  }

  /** Like {@link SharedFiles.mountOn}, returning the `.mount` and `.automount` files it adds. */
  public addMountUnits(host: ServerInstance, mountPoint: string): { readonly mount: HostFile; readonly automount: HostFile } {
    requirePeer(this, 'host', host, Kinds.SERVER_INSTANCE);
    // The path lands in the units' Where= and names them (systemd-escape): no space, '%' or line break.
    requireText(this, 'mountPoint', mountPoint, TextKind.ABSOLUTE_PATH, {
      allowed: "must be an absolute path other than '/' of letters, digits, '.', '_' and '-' segments, without empty, '.' or '..' segments or a trailing '/'",
    });
    const cc = host.cloudConfig;
    cc.addPackages('nfs-common');
    const mountUnit = systemdUnitNameForPath(mountPoint, 'mount');
    const automountUnit = systemdUnitNameForPath(mountPoint, 'automount');
    const mount = cc.addFile({
      path: `${NFS_PATHS.unitDir}/${mountUnit}`,
      syntax: ConfigSyntax.SYSTEMD_UNIT,
      content: renderNfsMountUnit({ what: this.remotePath, where: mountPoint, options: NFS_MOUNT_OPTIONS, timeoutSeconds: NFS_MOUNT_TIMEOUT_SECONDS, share: this.node.path }),
    });
    const automount = cc.addFile({
      path: `${NFS_PATHS.unitDir}/${automountUnit}`,
      syntax: ConfigSyntax.SYSTEMD_UNIT,
      content: renderNfsAutomountUnit({ where: mountPoint, share: this.node.path }),
    });
    cc.addPreServiceCommand('mkdir', '-p', mountPoint);
    cc.addServices(automountUnit);
    return { mount, automount };
  }

  private configureServer(host: ServerInstance, exportPath: string): void {
    const cc = host.cloudConfig;
    cc.addPackages('nfs-kernel-server');
    const clientEntries = () => this.clientCidrs.map((cidr) => ({ cidr, options: NFS_EXPORT_OPTIONS }));
    cc.addFile({
      path: NFS_PATHS.exports,
      syntax: ConfigSyntax.NFS_EXPORTS,
      // Rendered when cloud-init is rendered: clients are added after construction.
      get content(): string {
        return renderNfsExports({ hostname: host.hostname, exports: [{ path: exportPath, clients: clientEntries() }] });
      },
    });
    cc.addFile({ path: NFS_PATHS.serverConf, content: renderNfsServerConf({ fileName: 'hosting-stacks.conf', port: NFS4_PORT, threads: NFS_SERVER_THREADS }) });
    // The web servers write as www-data (uid 33 on every Debian host); root is squashed to nobody.
    cc.addPreServiceCommand('install', '-d', '-o', 'www-data', '-g', 'www-data', '-m', '2775', exportPath);
    // NFSv4 needs none of the NFSv3 side services; masked, they cannot be reached even by mistake.
    cc.addPreServiceCommand('systemctl', 'mask', '--now', 'rpcbind.service', 'rpcbind.socket', 'rpc-statd.service');
    cc.addServices('nfs-server');
  }
}

function describe(value: unknown): unknown {
  return value instanceof Construct ? value.node.path : typeof value === 'object' && value !== null ? value.constructor.name : value;
}

