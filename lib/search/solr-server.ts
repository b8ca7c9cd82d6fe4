import { Construct } from 'constructs';
import { ConfigSyntax } from '../compute/cloud-config';
import { Flavor } from '../compute/flavor';
import { DataKind, IServerTier, ServerCluster, ServerInstance } from '../compute/server-cluster';
import { Connections, IngressRule, TrafficSourceKind } from '../core/connections';
import { ISolrEndpoint } from '../core/endpoints';
import { HostingStacksError } from '../core/errors';
import { IpProtocol } from '../core/port';
import { IPrivateVSwitch } from '../network/private-vswitch';
import { renderSolrCreateCoreScript, renderSolrInSh, renderSolrInstallScript, solrHeapMbForRam, SOLR_MIN_HEAP_MB, SOLR_RESERVED_MB } from './solr-config';
import { kebabCase } from '../core/naming';
import { checkText, requireText, TextKind } from '../core/text';
import { declareDataKind, Kinds, requirePeer, requireProps } from '../core/peers';

/** The Solr release installed by default (Solr 9 runs on Debian 12's OpenJDK 17). */
export const DEFAULT_SOLR_VERSION = '9.6.1';

/**
 * SHA-512 of `solr-9.6.1.tgz` as published by the Apache Solr project (`solr-9.6.1.tgz.sha512`),
 * also pinned by the solr-docker build of 9.6.1.
 */
export const DEFAULT_SOLR_SHA512 = '7e16aa71fc01f9d9b05e5514e35798104a18253a211426aa669aa3b91225d110a4fa1c78c9ec86b7e1909e2aae63696deffd877536790303cd0638eb7f1a8c63';

/** Solr's HTTP port (Solr's own default). */
export const SOLR_PORT = 8983;

/** Paths on the Solr server. */
export const SOLR_PATHS = {
  include: '/etc/default/solr.in.sh',
  installScript: '/usr/local/sbin/solr-install.sh',
  createCoreScript: '/usr/local/sbin/solr-create-core.sh',
  workDir: '/var/cache/solr-install',
  installParent: '/opt',
  varDir: '/var/solr',
} as const;

/** Props of {@link SolrServer}. */
export interface SolrServerProps {
  /** The private data vSwitch the server is on. */
  readonly vswitch: IPrivateVSwitch;
  /** Flavor of the server; Solr's heap is sized from its RAM. */
  readonly flavor: Flavor;
  /** Name of the core the application uses. @default 'magento' */
  readonly coreName?: string;
  /** Solr release (9.x) downloaded from the Apache archive. @default DEFAULT_SOLR_VERSION ('9.6.1') */
  readonly version?: string;
  /** SHA-512 of `solr-<version>.tgz` (128 hex digits); required when `version` is given. @default DEFAULT_SOLR_SHA512 */
  readonly sha512?: string;
  /**
   * Where the server downloads `solr-<version>.tgz` at boot: your mirror, or a temporary URL of your
   * object storage, so a deploy does not depend on the Apache archive. Checked against `sha512` all the same.
   * @default - the Apache archive's URL of `version`
   */
  readonly tarballUrl?: string;
  /** Heap in MB. @default - half the RAM, at most the RAM less 1 GB, capped at 31 GB (solrHeapMbForRam) */
  readonly heapMb?: number;
  /** Host name prefix. @default - the construct id in kebab case */
  readonly hostnamePrefix?: string;
}

/**
 * One Apache Solr server (site search) on the private data network: Solr 9 installed from the
 * official Apache archive (pinned version and SHA-512) by Solr's own `install_solr_service.sh`, a
 * rendered `/etc/default/solr.in.sh` (heap from RAM, Jetty bound to the planned address, an IP
 * allow-list of exactly the clients allowed through {@link SolrServer.connections}) and the
 * application's core created with `bin/solr create -c`. Nothing reaches it until a client calls
 * `solr.connections.allowFrom(client, Port.tcp(solr.port))`; it is never opened to the internet.
 */
export class SolrServer extends Construct implements ISolrEndpoint, IServerTier {
  /** The kind of data it serves, declared with `declareDataKind` (the data-isolation rule keeps it out of the DMZ). */
  public readonly dataKind: DataKind = 'Solr server';
  /** The server (stateful: the index). */
  public readonly cluster: ServerCluster;
  /** The network intent; clients call `allowFrom(client, Port.tcp(port))`. */
  public readonly connections: Connections;
  /** Address clients connect to. */
  public readonly address: string;
  /** Solr's HTTP port. */
  public readonly port = SOLR_PORT;
  /** The application's core. */
  public readonly coreName: string;
  /** Solr release. */
  public readonly version: string;
  /** SHA-512 of the archive. */
  public readonly sha512: string;
  /** Where the archive is downloaded from. */
  public readonly downloadUrl: string;
  /** Heap in MB. */
  public readonly heapMb: number;

  constructor(scope: Construct, id: string, props: SolrServerProps) {
    super(scope, id);
    declareDataKind(this, this.dataKind);
    requireProps(this, props);
    requirePeer(this, 'vswitch', props.vswitch, Kinds.PRIVATE_VSWITCH);
    requirePeer(this, 'flavor', props.flavor, Kinds.FLAVOR);
    this.coreName = props.coreName ?? 'magento';
    requireText(this, 'coreName', this.coreName, TextKind.NAME, {
      pattern: /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/,
      allowed: "must be letters, digits, '_' and '-', starting with a letter or digit (at most 64 characters)",
    });
    this.version = props.version ?? DEFAULT_SOLR_VERSION;
    requireText(this, 'version', this.version, TextKind.NAME, {
      pattern: /^9\.\d{1,2}\.\d{1,2}$/,
      allowed: "must be a Solr 9 release such as '9.6.1' (install_solr_service.sh and SOLR_IP_ALLOWLIST as used here are Solr 9's)",
    });
    if (props.version !== undefined && props.version !== DEFAULT_SOLR_VERSION && props.sha512 === undefined) {
      throw new HostingStacksError(this, 'sha512', undefined, `is required with 'version' (${props.version}): give the SHA-512 published in solr-${props.version}.tgz.sha512`);
    }
    this.sha512 = (props.sha512 ?? DEFAULT_SOLR_SHA512).toLowerCase();
    // Checked lower-cased; the error shows the digest given.
    const sha512Problem = checkText(this.sha512, TextKind.WORD, { pattern: /^[0-9a-f]{128}$/, allowed: 'must be 128 hexadecimal digits' });
    if (sha512Problem) throw new HostingStacksError(this, 'sha512', props.sha512, sha512Problem);
    this.downloadUrl = props.tarballUrl ?? `https://archive.apache.org/dist/solr/solr/${this.version}/solr-${this.version}.tgz`;
    requireText(this, 'tarballUrl', this.downloadUrl, TextKind.HTTP_URL);

    this.cluster = new ServerCluster(this, 'Server', {
      vswitch: props.vswitch,
      count: 1,
      flavor: props.flavor,
      stateful: true,
      hostnamePrefix: props.hostnamePrefix ?? kebabCase(id),
    });
    this.connections = this.cluster.connections;
    const host = this.cluster.instances[0];
    this.address = host.address;
    const ramGb = this.cluster.flavor.ramGb;
    const heap = props.heapMb ?? solrHeapMbForRam(ramGb);
    if (heap === undefined) {
      throw new HostingStacksError(this, 'flavor', this.cluster.flavor.name, `has ${ramGb} GB of RAM: Solr needs ${SOLR_MIN_HEAP_MB} MB of heap plus ${SOLR_RESERVED_MB} MB for the system and page cache`);
    }
    const maxHeap = Math.floor(ramGb * 1024) - SOLR_RESERVED_MB;
    if (!Number.isInteger(heap) || heap < SOLR_MIN_HEAP_MB || heap > maxHeap) {
      throw new HostingStacksError(this, 'heapMb', heap, `must be an integer from ${SOLR_MIN_HEAP_MB} to ${maxHeap} (the RAM less ${SOLR_RESERVED_MB} MB)`);
    }
    this.heapMb = heap;
    this.node.addValidation({ validate: () => this.validateClients() });
    this.configureHost(host);
  }

  /**
   * The addresses and networks Jetty accepts: loopback, the server itself (bin/solr's tools) and
   * every source allowed to Solr's port through {@link SolrServer.connections}.
   */
  public get allowList(): string[] {
    const out = ['127.0.0.1', this.address];
    for (const rule of this.clientRules()) {
      const { cidr, connections } = rule.source;
      const sources = cidr !== undefined ? [cidr] : connections?.addresses ?? [];
      for (const s of sources) if (!out.includes(s)) out.push(s);
    }
    return out;
  }

  private clientRules(): IngressRule[] {
    return this.connections.ingressRules.filter((r) => r.port.protocol === IpProtocol.TCP && r.port.fromPort! <= this.port && this.port <= r.port.toPort!);
  }

  private validateClients(): string[] {
    const errors: string[] = [];
    for (const rule of this.clientRules()) {
      const group = rule.source.connections;
      if (rule.source.kind === TrafficSourceKind.INTERNET) errors.push(`${this.node.path}: Solr is opened to the internet (${rule.description}); it must be reachable from its clients only`);
      if (group !== undefined && group.addresses.length === 0) {
        errors.push(`${this.node.path}: ${group.owner.node.path} is allowed to Solr but has no planned address for SOLR_IP_ALLOWLIST`);
      }
    }
    return errors;
  }

  private configureHost(host: ServerInstance): void {
    const cc = host.cloudConfig;
    const common = { varDir: SOLR_PATHS.varDir, user: 'solr', serviceName: 'solr', installParent: SOLR_PATHS.installParent, port: this.port };
    cc.addPackages('openjdk-17-jre-headless', 'curl', 'lsof', 'ca-certificates');
    const ramMb = Math.floor(host.flavor.ramGb * 1024);
    const address = this.address;
    const heapMb = this.heapMb;
    const allowList = () => this.allowList;
    cc.addFile({
      path: SOLR_PATHS.include,
      syntax: ConfigSyntax.SHELL,
      owner: 'root:root',
      permissions: '0640',
      // Rendered when cloud-init is rendered: clients are allowed after construction.
      get content(): string {
        return renderSolrInSh({ hostname: host.hostname, varDir: SOLR_PATHS.varDir, heapMb, ramMb, address, port: SOLR_PORT, allowList: allowList() });
      },
    });
    cc.addFile({
      path: SOLR_PATHS.installScript,
      syntax: ConfigSyntax.SHELL,
      permissions: '0755',
      content: renderSolrInstallScript({ ...common, version: this.version, sha512: this.sha512, downloadUrl: this.downloadUrl, workDir: SOLR_PATHS.workDir }),
    });
    cc.addFile({
      path: SOLR_PATHS.createCoreScript,
      syntax: ConfigSyntax.SHELL,
      permissions: '0755',
      content: renderSolrCreateCoreScript({ ...common, coreName: this.coreName, address: this.address, waitSeconds: 300 }),
    });
    cc.addPreServiceCommand(SOLR_PATHS.installScript);
    cc.addServices('solr');
    cc.addCommand(SOLR_PATHS.createCoreScript);
  }
}

