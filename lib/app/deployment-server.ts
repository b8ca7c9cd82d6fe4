import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { ConfigSyntax } from '../compute/cloud-config';
import { Flavor, Sizing } from '../compute/flavor';
import { IServerTier, ServerCluster } from '../compute/server-cluster';
import { Connections, IngressRule, Peer } from '../core/connections';
import { HostingStacksError, requireUnique } from '../core/errors';
import { parseCidr } from '../core/ipv4';
import { Port } from '../core/port';
import { Secret } from '../core/secret';
import { OfficeVpn } from '../network/office-vpn';
import { PrivateVSwitch } from '../network/private-vswitch';
import { nftablesModelFromConnections, renderNftablesRuleset } from '../security/nftables-firewall';
import { kebabCase } from '../core/naming';

/**
 * The deployment VM's sizing when none is given: the case study gives none; git checkouts, asset
 * builds and rsync of a Magento tree fit 2 vCPUs, 4 GB and 40 GB.
 */
export const DEFAULT_DEPLOYMENT_SIZING: Sizing = { vcpus: 2, ramGb: 4, diskGb: 40 };

/** Where the deploy key arrives (base64, root only) before it is decoded into the deploy user's home. */
export const DEPLOY_KEY_STAGING_PATH = '/etc/hosting-stacks/deploy-key.b64';

/** The file listing the deployment targets, one `address tier-path` per line, for CI scripts. */
export const DEPLOY_TARGETS_PATH = '/etc/hosting-stacks/deploy-targets';

/** Props of {@link DeploymentServer}. */
export interface DeploymentServerProps {
  /** The vSwitch the VM is on. */
  readonly vswitch: PrivateVSwitch;
  /** The office VPN; SSH is let in from the offices through it. @default - none: give `adminCidrs` */
  readonly vpn?: OfficeVpn;
  /** Administrators' CIDRs let in on SSH (a CI provider's runners, a bastion). @default - none: give `vpn` */
  readonly adminCidrs?: string[];
  /** Flavor. @default Flavor.fromSizing(DEFAULT_DEPLOYMENT_SIZING) */
  readonly flavor?: Flavor;
  /** Local user that runs deployments. @default 'deploy' */
  readonly deployUser?: string;
  /** Install the deploy user's SSH private key from the sensitive variable `deploy_ssh_private_key` (OpenSSH format). @default true */
  readonly deployKey?: boolean;
  /** Host name prefix. @default - the construct id in kebab case */
  readonly hostnamePrefix?: string;
}

/**
 * The deployment VM for continuous integration and deployment (case study 5): git, rsync and the
 * OpenSSH client, a deploy user with its private key from a sensitive variable, and SSH out to the
 * tiers given to {@link DeploymentServer.addTarget}, which open TCP 22 to it and nothing else.
 *
 * "Nothing else": its only inbound rule is SSH from the offices (through the VPN) or from
 * `adminCidrs`; no tier allows it in except on SSH through `addTarget`, and it holds no service
 * other tiers call. The host's nftables input chain follows the same intent.
 */
export class DeploymentServer extends Construct implements IServerTier {
  /** The VM (a one-instance cluster). */
  public readonly cluster: ServerCluster;
  /** The VM's network intent. */
  public readonly connections: Connections;
  /** The deploy user. */
  public readonly deployUser: string;
  /** The deploy key's variable, when installed. */
  public readonly deployKey?: Secret;
  private readonly targetList: IServerTier[] = [];

  constructor(scope: Construct, id: string, props: DeploymentServerProps) {
    super(scope, id);
    const adminCidrs = props.adminCidrs ?? [];
    if (!props.vpn && adminCidrs.length === 0) {
      throw new HostingStacksError(this, 'adminCidrs', adminCidrs, "must list at least one CIDR when no 'vpn' is given: nobody could log in to run or repair deployments");
    }
    for (const text of adminCidrs) {
      const c = parseCidr(text);
      if (!c) throw new HostingStacksError(this, 'adminCidrs', text, "must be IPv4 CIDRs with no host bits set, e.g. '203.0.113.0/28'");
      if (c.prefix === 0) throw new HostingStacksError(this, 'adminCidrs', text, 'is the whole internet; SSH to the deployment server is for administrators only');
    }
    requireUnique(this, 'adminCidrs', adminCidrs.map((t) => parseCidr(t)!.text));
    this.deployUser = props.deployUser ?? 'deploy';
    if (!/^[a-z_][a-z0-9_-]{0,30}$/.test(this.deployUser) || this.deployUser === 'root') {
      throw new HostingStacksError(this, 'deployUser', this.deployUser, "must be a Debian user name (lower-case letters, digits, '_' and '-') other than root");
    }

    this.cluster = new ServerCluster(this, 'Server', {
      vswitch: props.vswitch,
      count: 1,
      flavor: props.flavor ?? Flavor.fromSizing(DEFAULT_DEPLOYMENT_SIZING),
      hostnamePrefix: props.hostnamePrefix ?? kebabCase(id),
    });
    this.connections = this.cluster.connections;
    if (props.vpn) props.vpn.allowOfficesTo(this, Port.tcp(22));
    for (const cidr of adminCidrs) this.connections.allowFrom(Peer.ipv4(cidr), Port.tcp(22), `administrators' SSH to ${this.node.path}`);
    if (props.deployKey ?? true) {
      this.deployKey = Secret.variable(this, 'deploy_ssh_private_key', 'SSH private key (OpenSSH format) the deployment server logs in to the front-ends with');
    }

    this.cluster.configureHosts((host) => {
      const cc = host.cloudConfig;
      cc.addPackages('git', 'rsync', 'openssh-client', 'nftables');
      cc.addLazyFile('/etc/nftables.conf', ConfigSyntax.NFTABLES, () => renderNftablesRuleset(nftablesModelFromConnections(host.hostname, this.connections)));
      cc.addLazyFile(DEPLOY_TARGETS_PATH, undefined, () => this.renderTargets());
      const home = `/home/${this.deployUser}`;
      cc.addPreServiceCommand('useradd', '--create-home', '--shell', '/bin/bash', this.deployUser);
      cc.addPreServiceCommand('install', '-d', '-m', '0700', '-o', this.deployUser, '-g', this.deployUser, `${home}/.ssh`);
      if (this.deployKey) {
        // A multi-line key cannot be spliced into cloud-init's YAML: it travels base64 on one line.
        cc.addFile({ path: DEPLOY_KEY_STAGING_PATH, permissions: '0600', content: `${Fn.base64encode(this.deployKey.value)}\n` });
        cc.addPreServiceCommand('sh', '-c',
          `umask 077 && base64 -d ${DEPLOY_KEY_STAGING_PATH} > ${home}/.ssh/id_ed25519 && chown ${this.deployUser}:${this.deployUser} ${home}/.ssh/id_ed25519 && rm -f ${DEPLOY_KEY_STAGING_PATH}`);
      }
      cc.addServices('nftables');
    });
  }

  /** The tiers this server deploys to, in order. */
  public get targets(): readonly IServerTier[] {
    return [...this.targetList];
  }

  /** Lets this server in on SSH (TCP 22) to `tier`, and only on SSH. Returns the tier's rule. */
  public addTarget(tier: IServerTier): IngressRule {
    if (tier === this) throw new HostingStacksError(this, 'tier', this.node.path, 'is the deployment server itself');
    if (!this.targetList.includes(tier)) this.targetList.push(tier);
    return tier.connections.allowFrom(this, Port.tcp(22), `deployments from ${this.node.path}`);
  }

  /** The targets file: one `address tier-path` line per target server. */
  public renderTargets(): string {
    const lines = this.targetList.flatMap((t) => t.cluster.instances.map((i) => `${i.address} ${t.cluster.node.path}`));
    return `# Deployment targets of ${this.node.path}: address and tier. Generated by hosting-stacks.\n${lines.map((l) => `${l}\n`).join('')}`;
  }
}


