import { IArchitectureIntent, TierIntent, TierRole } from '../core/architecture-intent';
import { Fn, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { ConfigSyntax } from '../compute/cloud-config';
import { Flavor, Sizing } from '../compute/flavor';
import { IServerTier, ServerCluster } from '../compute/server-cluster';
import { Connections, IngressRule, Peer } from '../core/connections';
import { HostingStacksError, requireUnique } from '../core/errors';
import { checkText, requireText, TextKind } from '../core/text';
import { parseCidr } from '../core/ipv4';
import { requireAdminSource, requireIpv4Cidr, requireTerraformVariableName } from '../core/choices';
import { Port } from '../core/port';
import { Secret } from '../core/secret';
import { OfficeVpn } from '../vpn/office-vpn';
import { IPrivateVSwitch } from '../network/private-vswitch';
import { nftablesModelFromConnections, renderNftablesRuleset } from '../security/nftables-firewall';
import { kebabCase } from '../core/naming';
import { renderTemplate } from '../config/template';
import { CountedTargets, countedTargetsOf } from '../compute/counted-targets';
import { Kinds, optionalOptions, optionalPeer, requirePeer, requireProps } from '../core/peers';

/**
 * The deployment VM's sizing when none is given: the case study gives none; git checkouts, asset
 * builds and rsync of a Magento tree fit 2 vCPUs, 4 GB and 40 GB.
 */
export const DEFAULT_DEPLOYMENT_SIZING: Sizing = { vcpus: 2, ramGb: 4, diskGb: 40 };

/** Where the deploy key arrives (base64, root only) before it is decoded into the deploy user's home. */
export const DEPLOY_KEY_STAGING_PATH = '/etc/hosting-stacks/deploy-key.b64';

/**
 * The deployment targets that exist now (JSON, `[{ targets: [address], labels: { host, tier } }]`),
 * rewritten from the tiers' counts (see counted-targets.ts), for the deploy script and CI scripts.
 */
export const DEPLOY_TARGETS_PATH = '/etc/hosting-stacks/deploy-targets.json';
/** What the deploy script does per tier: `{ "<tier path>": { directory, excludes, afterSync } }`. */
export const DEPLOY_RECIPES_PATH = '/etc/hosting-stacks/deploy-recipes.json';
/** The pipeline's deploy step on the deployment server (`hosting-stacks-deploy BUILD_DIR [TIER_PATH]`). */
export const DEPLOY_SCRIPT_PATH = '/usr/local/bin/hosting-stacks-deploy';
/** The deploy step's state on the deployment server: each tier's current build, its id, the lock. */
export const DEPLOY_STATE_DIRECTORY = '/var/lib/hosting-stacks-deploy';
/** The unit giving each tier's current build to the servers that lack it, and its timer (every minute). */
export const DEPLOY_CATCH_UP_UNIT = 'hosting-stacks-deploy-catch-up';

/** Where a target's authorized key arrives (root only) before it is installed for the deploy user. */
export const DEPLOY_AUTHORIZED_KEY_STAGING_PATH = '/etc/hosting-stacks/deploy-authorized-key';

/** How code reaches a tier through {@link DeploymentServer.addTarget}. */
export interface DeployRecipe {
  /** Absolute directory the build is synced into on each server (owned by the deploy user). */
  readonly directory: string;
  /** rsync `--exclude` patterns (relative to `directory`, e.g. `/var/`) a deploy neither writes nor deletes. @default [] */
  readonly excludes?: readonly string[];
  /** Commands (argv, absolute program path) the deploy user runs as root through `sudo -n` after each sync. @default [] */
  readonly afterSync?: readonly (readonly string[])[];
}

/** Props of {@link DeploymentServer}. */
export interface DeploymentServerProps {
  /** The vSwitch the VM is on. */
  readonly vswitch: IPrivateVSwitch;
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
export class DeploymentServer extends Construct implements IArchitectureIntent, IServerTier {
  /** Deployments run the stack; they serve no user's request. (architecture notes) */
  public readonly architectureIntent: TierIntent = { role: TierRole.OPERATIONS };
  /** The VM (a one-instance cluster). */
  public readonly cluster: ServerCluster;
  /** The VM's network intent. */
  public readonly connections: Connections;
  /** The deploy user. */
  public readonly deployUser: string;
  /** The deploy key's variable, when installed. */
  public readonly deployKey?: Secret;
  /** The deploy key's public half (variable `deploy_ssh_public_key`), which the targets authorize; with `deployKey` only. */
  public readonly deployPublicKey?: string;
  private readonly targetList: IServerTier[] = [];
  private readonly recipes = new Map<IServerTier, DeployRecipe>();

  constructor(scope: Construct, id: string, props: DeploymentServerProps) {
    super(scope, id);
    requireProps(this, props);
    requirePeer(this, 'vswitch', props.vswitch, Kinds.PRIVATE_VSWITCH);
    optionalPeer(this, 'vpn', props.vpn, Kinds.OFFICE_VPN);
    optionalPeer(this, 'flavor', props.flavor, Kinds.FLAVOR);
    const adminCidrs = props.adminCidrs ?? [];
    if (!props.vpn && adminCidrs.length === 0) {
      throw new HostingStacksError(this, 'adminCidrs', adminCidrs, "must list at least one CIDR when no 'vpn' is given: nobody could log in to run or repair deployments");
    }
    for (const text of adminCidrs) {
      const c = requireIpv4Cidr(this, 'adminCidrs', text, '203.0.113.0/28');
      if (c.prefix === 0) throw new HostingStacksError(this, 'adminCidrs', text, 'is the whole internet; SSH to the deployment server is for administrators only');
      requireAdminSource(this, 'adminCidrs', c);
    }
    requireUnique(this, 'adminCidrs', adminCidrs.map((t) => parseCidr(t)!.text));
    this.deployUser = props.deployUser ?? 'deploy';
    requireText(this, 'deployUser', this.deployUser, TextKind.WORD, {
      pattern: /^[a-z_][a-z0-9_-]{0,30}$/,
      reserved: ['root'],
      allowed: "must be a Debian user name (lower-case letters, digits, '_' and '-') other than root",
    });

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
      requireTerraformVariableName(this, 'deployKey', 'deploy_ssh_public_key');
      const publicKey = new TerraformVariable(this, 'DeployPublicKey', {
        type: 'string',
        nullable: false,
        description: 'SSH public key (OpenSSH format) of deploy_ssh_private_key, which the deployment targets authorize for the deploy user',
        validation: [{ condition: '${can(regex("^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256) [A-Za-z0-9+/=]+( [^\\n]*)?$", var.deploy_ssh_public_key))}', errorMessage: 'deploy_ssh_public_key must be one OpenSSH public key line (ssh-ed25519, ssh-rsa or ecdsa-sha2-nistp256).' }],
      });
      publicKey.overrideLogicalId('deploy_ssh_public_key');
      this.deployPublicKey = publicKey.stringValue;
    }

    this.cluster.configureHosts((host) => {
      const cc = host.cloudConfig;
      cc.addPackages('git', 'rsync', 'openssh-client', 'nftables', 'python3');
      cc.addLazyFile('/etc/nftables.conf', ConfigSyntax.NFTABLES, () => renderNftablesRuleset(nftablesModelFromConnections(host.hostname, this.connections)));
      cc.addFile({ path: DEPLOY_SCRIPT_PATH, syntax: ConfigSyntax.PYTHON, permissions: '0755', content: renderDeployScript({ deployUser: this.deployUser }) });
      cc.addLazyFile(DEPLOY_RECIPES_PATH, undefined, () => this.renderRecipes());
      CountedTargets.of(host).addJob(DEPLOY_TARGETS_PATH, () =>
        this.targetList.flatMap((t) => countedTargetsOf(t.cluster, (i) => i.address, (i) => ({ host: i.hostname, tier: t.node.path }))),
      );
      const home = `/home/${this.deployUser}`;
      cc.addPreServiceCommand('useradd', '--create-home', '--shell', '/bin/bash', this.deployUser);
      cc.addPreServiceCommand('install', '-d', '-m', '0700', '-o', this.deployUser, '-g', this.deployUser, `${home}/.ssh`);
      cc.addPreServiceCommand('install', '-d', '-m', '0750', '-o', this.deployUser, '-g', this.deployUser, DEPLOY_STATE_DIRECTORY);
      if (this.deployKey) {
        // Servers added by scaling get the current build within a minute, without a pipeline run.
        const units = renderDeployCatchUpUnits({ deployUser: this.deployUser });
        cc.addFile({ path: `/etc/systemd/system/${DEPLOY_CATCH_UP_UNIT}.service`, syntax: ConfigSyntax.SYSTEMD_UNIT, content: units.service });
        cc.addFile({ path: `/etc/systemd/system/${DEPLOY_CATCH_UP_UNIT}.timer`, syntax: ConfigSyntax.SYSTEMD_UNIT, content: units.timer });
        cc.addServices(`${DEPLOY_CATCH_UP_UNIT}.timer`);
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

  /**
   * Lets this server in on SSH (TCP 22) to `tier`, and only on SSH; with the deploy key, each of the
   * tier's servers gets the deploy user with the key's public half authorized from this server's
   * address only. With a `recipe`, `hosting-stacks-deploy` syncs builds into the recipe's directory
   * (owned by the deploy user) and runs its after-sync commands, which a sudoers entry allows and
   * nothing else. Returns the tier's rule; a second call for a tier returns it again.
   */
  public addTarget(tier: IServerTier, recipe?: DeployRecipe): IngressRule {
    requirePeer(this, 'tier', tier, Kinds.SERVER_TIER);
    if (tier === this) throw new HostingStacksError(this, 'tier', this.node.path, 'is the deployment server itself');
    // The recipe is checked first: a bad one leaves no rule behind.
    if (optionalOptions<DeployRecipe>(this, 'recipe', recipe, ['directory', 'excludes', 'afterSync'])) this.addRecipe(tier, recipe!);
    const rule = tier.connections.allowFrom(this, Port.tcp(22), `deployments from ${this.node.path}`);
    if (this.targetList.includes(tier)) return rule;
    this.targetList.push(tier);
    CountedTargets.of(this.cluster.instances[0]).follow(tier.cluster);
    const user = this.deployUser;
    const home = `/home/${user}`;
    tier.cluster.configureHosts((host) => {
      const cc = host.cloudConfig;
      cc.addPackages('rsync');
      cc.addPreServiceCommand('sh', '-c', `id -u ${user} >/dev/null 2>&1 || useradd --create-home --shell /bin/bash ${user}`);
      if (this.deployPublicKey) {
        const from = this.cluster.instances.map((i) => i.address).join(',');
        cc.addFile({ path: DEPLOY_AUTHORIZED_KEY_STAGING_PATH, permissions: '0600', content: `from="${from}",no-agent-forwarding,no-port-forwarding,no-X11-forwarding,no-pty ${this.deployPublicKey}\n` });
        cc.addPreServiceCommand('install', '-d', '-m', '0700', '-o', user, '-g', user, `${home}/.ssh`);
        cc.addPreServiceCommand('install', '-m', '0600', '-o', user, '-g', user, DEPLOY_AUTHORIZED_KEY_STAGING_PATH, `${home}/.ssh/authorized_keys`);
      }
      const r = this.recipes.get(tier);
      if (r) {
        // The deploy user owns the directory tree it syncs, not the excluded paths (runtime data, files cloud-init wrote).
        const pruned = (r.excludes ?? []).filter((e) => e.startsWith('/') && e.endsWith('/')).map((e) => `${r.directory}${e.slice(0, -1)}`);
        const prune = pruned.length ? `\\( ${pruned.map((p) => `-path ${p}`).join(' -o ')} \\) -prune -o ` : '';
        cc.addPreServiceCommand('install', '-d', '-o', user, '-g', user, '-m', '0755', r.directory);
        cc.addPreServiceCommand('sh', '-c', `find ${r.directory} -xdev ${prune}-type d -exec chown ${user}:${user} {} +`);
        if ((r.afterSync ?? []).length) {
          cc.addPackages('sudo');
          cc.addFile({ path: `/etc/sudoers.d/hosting-stacks-${user}`, permissions: '0440', content: renderDeploySudoers(user, r.afterSync ?? []) });
        }
      }
    });
    return rule;
  }

  /** The recipe of each tier that takes code, as the deploy script reads it. */
  public renderRecipes(): string {
    const out: Record<string, { directory: string; excludes: readonly string[]; afterSync: readonly (readonly string[])[] }> = {};
    for (const [tier, r] of this.recipes) out[tier.node.path] = { directory: r.directory, excludes: r.excludes ?? [], afterSync: r.afterSync ?? [] };
    return `${JSON.stringify(out, null, 2)}\n`;
  }

  private addRecipe(tier: IServerTier, recipe: DeployRecipe): void {
    const path = tier.node.path;
    if (this.recipes.has(tier)) throw new HostingStacksError(this, 'recipe', path, 'is already given for this tier; one recipe per tier');
    if (this.targetList.includes(tier)) throw new HostingStacksError(this, 'recipe', path, 'must be given at the first addTarget of the tier');
    requireText(this, 'recipe.directory', recipe.directory, TextKind.ABSOLUTE_PATH);
    for (const e of recipe.excludes ?? []) {
      requireText(this, 'recipe.excludes', e, TextKind.WORD, {
        pattern: /^\/?[A-Za-z0-9._\/-]+$/,
        test: (v) => !v.includes('..'),
        allowed: "must be rsync patterns of letters, digits, '.', '_', '-' and '/' (e.g. '/var/')",
      });
    }
    for (const argv of recipe.afterSync ?? []) {
      if (argv.length === 0 || argv.some((a) => checkText(a, TextKind.WORD) !== undefined) || !argv[0].startsWith('/')) {
        throw new HostingStacksError(this, 'recipe.afterSync', argv, "must be argv lists starting with an absolute program path, of letters, digits and '@%+=:,./_-' only (sudoers matches them literally)");
      }
    }
    this.recipes.set(tier, recipe);
  }
}

/** Renders the deploy step (`python3 -m py_compile`). */
export function renderDeployScript(model: { readonly deployUser: string; readonly targetsFile?: string; readonly recipesFile?: string; readonly stateDirectory?: string }): string {
  return renderTemplate('deploy.py.hbs', {
    deployUser: model.deployUser,
    targetsFile: model.targetsFile ?? DEPLOY_TARGETS_PATH,
    recipesFile: model.recipesFile ?? DEPLOY_RECIPES_PATH,
    stateDirectory: model.stateDirectory ?? DEPLOY_STATE_DIRECTORY,
  });
}

/** Renders the catch-up service (run as the deploy user) and its timer. */
export function renderDeployCatchUpUnits(model: { readonly deployUser: string }): { readonly service: string; readonly timer: string } {
  return { service: renderTemplate('deploy-catch-up.service.hbs', { ...model, scriptPath: DEPLOY_SCRIPT_PATH, stateDirectory: DEPLOY_STATE_DIRECTORY }), timer: renderTemplate('deploy-catch-up.timer.hbs', {}) };
}

/** Renders the sudoers drop-in allowing `user` exactly the after-sync commands, as root, without a password. */
export function renderDeploySudoers(user: string, commands: readonly (readonly string[])[]): string {
  return `# Rendered by hosting-stacks (DeploymentServer): what a deploy runs as root after a sync, and nothing else.\n${commands.map((c) => `${user} ALL=(root) NOPASSWD: ${c.join(' ')}\n`).join('')}`;
}


