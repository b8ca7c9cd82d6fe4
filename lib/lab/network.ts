/**
 * The lab's data plane: a `LabStackModel`'s networks, ports, routers and floating IPs realised in
 * named network namespaces, filtered as Neutron's `iptables_hybrid` driver filters them.
 *
 * Layout (every namespace is `hs-<labId>-...`; nothing is connected to the host's root namespace):
 * - `hs-<id>-fab`: the fabric, one bridge `br<n>` per Neutron network and `brex` for the external one;
 * - `hs-<id>-p<n>`: the "compute host" of port n: bridge `qbr` with `tap` (to the VM) and `qvb`
 *   (to the network's bridge), its own conntrack table and the port's rules (neutron-firewall.ts);
 * - `hs-<id>-s<n>` / `hs-<id>-a<n>`: server n's / load balancer n's side (`ens3`, `ens4`, ... / `eth1`, ...);
 * - `hs-<id>-r<n>`: router n (`qr-<k>` per interface, `qg-ext` on the external bridge, NAT);
 * - `hs-<id>-net`: "the internet", one client on the external network with no default route.
 */
import { spawn, type ChildProcess } from 'child_process';
import { renderPortFirewall } from './neutron-firewall';
import type { LabPortModel, LabServerModel, LabStackModel, LabSubnetModel } from './model';

/** Result of a command run in a namespace. */
export interface LabExecResult {
  /** Exit status, null when killed (timeout). */
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of `LabNetwork.exec`. */
export interface LabExecOptions {
  /** Killed (SIGKILL) after this long. @default 10000 */
  readonly timeoutMs?: number;
  /** Written to the command's stdin. @default - none (stdin closed) */
  readonly input?: string;
}

/** Options of `LabNetwork.create`. */
export interface LabNetworkOptions {
  /** 1-4 characters [a-z0-9], unique among labs running at once on the host. */
  readonly labId: string;
}

/** Where one port was realised. */
export interface LabPortPlacement {
  readonly portKey: string;
  /** The port's "compute host" namespace (its bridge, conntrack and rules). */
  readonly hostNamespace: string;
  /** The VM / amphora namespace the port's interface is in. */
  readonly vmNamespace: string;
  /** The interface's name there (`ens3`, `eth1`). */
  readonly nic: string;
}

/** Where one router was realised. */
export interface LabRouterPlacement {
  readonly routerKey: string;
  readonly namespace: string;
  /** Its address on the external network, when it has an external gateway. */
  readonly gatewayAddress?: string;
}

const LAB_ID = /^[a-z0-9]{1,4}$/;
const DEFAULT_TIMEOUT_MS = 10_000;

/** Runs a command with a bounded time; never throws for a non-zero status. */
function run(argv: readonly string[], opts: LabExecOptions = {}): Promise<LabExecResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let done = false;
    const finish = (r: LabExecResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      stderr += `\n[killed after ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms]`;
    }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => finish({ status: null, stdout, stderr: `${stderr}${e.message}` }));
    child.on('close', (code) => finish({ status: code, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

async function must(argv: readonly string[], opts: LabExecOptions = {}): Promise<LabExecResult> {
  const r = await run(argv, opts);
  if (r.status !== 0) {
    const input = opts.input ? `\n--- input ---\n${opts.input}` : '';
    throw new Error(`lab network: '${argv.join(' ')}' failed (${r.status}): ${r.stderr.trim()}${input}`);
  }
  return r;
}

function prefixLength(cidr: string): number {
  const n = Number(cidr.split('/')[1]);
  if (!Number.isInteger(n)) throw new Error(`lab network: '${cidr}' is not a CIDR`);
  return n;
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** Sysctls every lab namespace starts with: no IPv6 (the lab gives none), no ICMP redirects. */
const BASE_SYSCTLS = [
  'net.ipv6.conf.all.disable_ipv6=1',
  'net.ipv6.conf.default.disable_ipv6=1',
  'net.ipv4.conf.all.send_redirects=0',
  'net.ipv4.conf.default.send_redirects=0',
  'net.ipv4.conf.all.accept_redirects=0',
  'net.ipv4.conf.default.accept_redirects=0',
];

/** The lab's namespaces and links for one `LabStackModel`. Create with `LabNetwork.create`. */
export class LabNetwork {
  /**
   * Builds the whole data plane. On any failure everything made so far is removed before the
   * error is thrown.
   */
  static async create(model: LabStackModel, options: LabNetworkOptions): Promise<LabNetwork> {
    if (!LAB_ID.test(options.labId)) {
      throw new Error(`LabNetwork: 'labId' (${options.labId}) must be 1-4 characters [a-z0-9]`);
    }
    const existing = await LabNetwork.listLabNamespaces(options.labId);
    if (existing.length > 0) {
      throw new Error(`LabNetwork: lab '${options.labId}' already has namespaces (${existing.join(', ')}): destroy it or call LabNetwork.removeLabNamespaces('${options.labId}')`);
    }
    const lab = new LabNetwork(model, options.labId);
    try {
      await lab.build();
    } catch (e) {
      await lab.destroy();
      throw e;
    }
    return lab;
  }

  /** Names of the namespaces of lab `labId` that exist now. */
  static async listLabNamespaces(labId: string): Promise<string[]> {
    if (!LAB_ID.test(labId)) throw new Error(`LabNetwork: 'labId' (${labId}) must be 1-4 characters [a-z0-9]`);
    const r = await must(['ip', 'netns', 'list']);
    const prefix = `hs-${labId}-`;
    return r.stdout
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[0])
      .filter((name) => name !== undefined && name.startsWith(prefix));
  }

  /** Removes every namespace of lab `labId` left over (a crashed run); idempotent. */
  static async removeLabNamespaces(labId: string): Promise<void> {
    for (const name of await LabNetwork.listLabNamespaces(labId)) {
      await run(['ip', 'netns', 'delete', name]);
    }
  }

  /** The internet client's namespace (`model.external.clientAddress`, on-link external network only). */
  readonly clientNamespace: string;
  /** The fabric namespace holding the networks' bridges. */
  readonly fabricNamespace: string;
  /** Every realised port, by port key. */
  readonly ports: ReadonlyMap<string, LabPortPlacement>;
  /** Every router, by router key. */
  readonly routers: ReadonlyMap<string, LabRouterPlacement>;

  private readonly created: string[] = [];
  private readonly owners = new Map<string, string>();
  private readonly portMap = new Map<string, LabPortPlacement>();
  private readonly routerMap = new Map<string, LabRouterPlacement>();
  private readonly bridges = new Map<string, string>();
  private destroyed = false;
  private nextServerIndex = 0;
  private nextPortIndex = 0;

  private constructor(private model: LabStackModel, readonly labId: string) {
    this.clientNamespace = this.ns('net');
    this.fabricNamespace = this.ns('fab');
    this.ports = this.portMap;
    this.routers = this.routerMap;
  }

  /** Namespace of a server (by server key) or a load balancer's amphora (by load balancer key). */
  namespaceOf(ownerKey: string): string {
    const ns = this.owners.get(ownerKey);
    if (ns === undefined) throw new Error(`LabNetwork ${this.labId}: no server or load balancer '${ownerKey}' in the lab`);
    return ns;
  }

  /** The interface name of a port inside its server's / amphora's namespace. */
  nicOf(portKey: string): string {
    return this.placement(portKey).nic;
  }

  /** The "compute host" namespace of a port (its bridge, its conntrack table, its rules). */
  hostNamespaceOf(portKey: string): string {
    return this.placement(portKey).hostNamespace;
  }

  /** Every namespace the lab has created (and not yet removed), in creation order. */
  get namespaces(): readonly string[] {
    return [...this.created];
  }

  /** Runs `argv` inside one of the lab's namespaces, bounded in time. */
  async exec(namespace: string, argv: string[], opts: LabExecOptions = {}): Promise<LabExecResult> {
    this.checkOwn(namespace);
    return run(['ip', 'netns', 'exec', namespace, ...argv], opts);
  }

  /**
   * Starts a long-running command inside one of the lab's namespaces, as the leader of a new
   * process group (stop it with `process.kill(-child.pid)`); the caller must bound it (e.g. with
   * `timeout`) or kill it.
   */
  spawnIn(namespace: string, argv: string[]): ChildProcess {
    this.checkOwn(namespace);
    return spawn('ip', ['netns', 'exec', namespace, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  }

  /**
   * Re-renders and reloads every port's rules from `model` (same ports, changed security groups,
   * rules or address pairs), as Neutron does when a rule changes. Existing conntrack entries stay.
   */
  async updateFirewalls(model: LabStackModel): Promise<void> {
    for (const portKey of this.portMap.keys()) {
      if (!model.ports.some((p) => p.key === portKey)) {
        throw new Error(`LabNetwork ${this.labId}: updateFirewalls: port ${portKey} is missing from the new model`);
      }
    }
    this.model = model;
    await Promise.all([...this.portMap.values()].map((p) => this.loadPortFirewall(p)));
  }

  /**
   * Cuts every port of the server `key` off its networks (`up` false), as a crashed host or a
   * datacenter's lost links look to its peers, or joins them again (`up` true). The server runs on:
   * only its cables are pulled (the tap between its NIC and its port's bridge goes down).
   */
  async setServerLinks(key: string, up: boolean): Promise<void> {
    const vmNs = this.owners.get(key);
    if (vmNs === undefined) throw new Error(`LabNetwork ${this.labId}: no server '${key}'`);
    const ports = [...this.portMap.values()].filter((p) => p.vmNamespace === vmNs);
    if (ports.length === 0) throw new Error(`LabNetwork ${this.labId}: server '${key}' has no port`);
    for (const p of ports) await this.ipBatch(p.hostNamespace, [`link set tap ${up ? 'up' : 'down'}`]);
  }

  /**
   * Realises a count change (see lab-apply.ts): removes the namespaces and ports of the servers
   * `removed` names, builds those of the servers `added` names from `model` (the stack after the
   * apply), then reloads every port's rules from `model`, since group membership follows the ports.
   */
  async applyServers(model: LabStackModel, added: readonly string[], removed: readonly string[]): Promise<void> {
    for (const key of removed) {
      const vmNs = this.owners.get(key);
      if (vmNs === undefined) throw new Error(`LabNetwork ${this.labId}: no server '${key}' to remove`);
      for (const [portKey, p] of [...this.portMap]) {
        if (p.vmNamespace !== vmNs) continue;
        await this.deleteNamespace(p.hostNamespace);
        this.portMap.delete(portKey);
      }
      await this.deleteNamespace(vmNs);
      this.owners.delete(key);
    }
    this.model = model;
    for (const key of added) {
      const server = model.servers.find((s) => s.key === key);
      if (server === undefined) throw new Error(`LabNetwork ${this.labId}: server '${key}' is not in the new model`);
      if (this.owners.has(key)) throw new Error(`LabNetwork ${this.labId}: server '${key}' is already in the lab`);
      // New ports get indices past every one given so far: names never collide with a running port's.
      await this.buildServer(server, () => this.nextPortIndex++, new Set<string>());
    }
    await this.updateFirewalls(model);
  }

  /** Removes every namespace of the lab (so every link and rule); idempotent, safe after a failed create. */
  async destroy(): Promise<void> {
    this.destroyed = true;
    while (this.created.length > 0) {
      const name = this.created.pop() as string;
      await run(['ip', 'netns', 'delete', name]);
    }
    await LabNetwork.removeLabNamespaces(this.labId);
  }

  private ns(suffix: string): string {
    return `hs-${this.labId}-${suffix}`;
  }

  private checkOwn(namespace: string): void {
    if (!this.created.includes(namespace)) {
      throw new Error(`LabNetwork ${this.labId}: '${namespace}' is not a namespace of this lab`);
    }
  }

  private placement(portKey: string): LabPortPlacement {
    const p = this.portMap.get(portKey);
    if (p === undefined) throw new Error(`LabNetwork ${this.labId}: port '${portKey}' is not realised in the lab (only server and load balancer ports are)`);
    return p;
  }

  private subnet(key: string): LabSubnetModel {
    const s = this.model.subnets.find((x) => x.key === key);
    if (s === undefined) throw new Error(`LabNetwork ${this.labId}: subnet ${key} is not in the stack`);
    return s;
  }

  private async deleteNamespace(name: string): Promise<void> {
    await must(['ip', 'netns', 'delete', name]);
    const i = this.created.indexOf(name);
    if (i >= 0) this.created.splice(i, 1);
  }

  private async addNamespace(name: string): Promise<void> {
    if (this.destroyed) throw new Error(`LabNetwork ${this.labId}: destroyed while being created`);
    await must(['ip', 'netns', 'add', name]);
    this.created.push(name);
    await must(['ip', 'netns', 'exec', name, 'sysctl', '-q', '-w', ...BASE_SYSCTLS]);
    await must(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  }

  /** Runs `ip -batch` commands in a namespace. */
  private async ipBatch(namespace: string, commands: string[]): Promise<void> {
    if (commands.length === 0) return;
    for (const c of commands) {
      for (const m of c.matchAll(/\b(?:link add|peer name|dev) (\S+)/g)) {
        if (m[1].length > 15) throw new Error(`LabNetwork ${this.labId}: interface name '${m[1]}' is longer than Linux's 15 characters`);
      }
    }
    await must(['ip', '-n', namespace, '-batch', '-'], { input: `${commands.join('\n')}\n` });
  }

  private async sysctl(namespace: string, settings: string[]): Promise<void> {
    await must(['ip', 'netns', 'exec', namespace, 'sysctl', '-q', '-w', ...settings]);
  }

  private async build(): Promise<void> {
    const model = this.model;
    const fab = this.fabricNamespace;
    await this.addNamespace(fab);

    // Bridges: one per network, one external.
    const fabCommands: string[] = [];
    // Networks of one vRack VLAN in several regions are one broadcast domain: one bridge.
    const segmentBridges = new Map<string, string>();
    model.networks.forEach((net, i) => {
      const shared = net.segment !== undefined ? segmentBridges.get(net.segment) : undefined;
      const br = shared ?? `br${i}`;
      this.bridges.set(net.key, br);
      if (shared !== undefined) return;
      if (net.segment !== undefined) segmentBridges.set(net.segment, br);
      fabCommands.push(`link add ${br} type bridge stp_state 0 forward_delay 0`, `link set ${br} up`);
    });
    fabCommands.push('link add brex type bridge stp_state 0 forward_delay 0', 'link set brex up');
    await this.ipBatch(fab, fabCommands);
    // The fabric only switches: no netfilter on its bridges.
    await this.sysctl(fab, ['net.bridge.bridge-nf-call-iptables=0', 'net.bridge.bridge-nf-call-ip6tables=0', 'net.bridge.bridge-nf-call-arptables=0']);

    // The internet: one client on the external network, no default route.
    const external = model.external;
    const extLen = prefixLength(external.cidr);
    await this.addNamespace(this.clientNamespace);
    await this.ipBatch(this.clientNamespace, [
      `link add eth0 type veth peer name inet netns ${fab}`,
      `address add ${external.clientAddress}/${extLen} dev eth0`,
      'link set eth0 up',
    ]);
    await this.ipBatch(fab, ['link set inet master brex', 'link set inet up']);

    await this.buildRouters();

    // Ports of servers and load balancers, in NIC order per owner.
    const portIndex = new Map(model.ports.map((p, i) => [p.key, i]));
    this.nextPortIndex = model.ports.length;
    const defaultRouted = new Set<string>();
    for (const server of model.servers) {
      await this.buildServer(server, (key) => portIndex.get(key) as number, defaultRouted);
    }
    for (const [i, lb] of model.loadBalancers.entries()) {
      const vmNs = this.ns(`a${i}`);
      this.owners.set(lb.key, vmNs);
      await this.addNamespace(vmNs);
      const keys = model.ports
        .filter((p) => p.key === lb.vipPortKey || (p.owner.kind === 'loadbalancer' && p.owner.loadBalancerKey === lb.key))
        .map((p) => p.key);
      for (const [nicIndex, key] of keys.entries()) {
        await this.buildPort(model.ports.find((p) => p.key === key) as LabPortModel, portIndex.get(key) as number, vmNs, `eth${1 + nicIndex}`, defaultRouted);
      }
    }
  }

  /** A server's namespace and its ports, in NIC order (`ens3`, `ens4`, ...). */
  private async buildServer(server: LabServerModel, portIndexOf: (portKey: string) => number, defaultRouted: Set<string>): Promise<void> {
    const model = this.model;
    const vmNs = this.ns(`s${this.nextServerIndex++}`);
    this.owners.set(server.key, vmNs);
    await this.addNamespace(vmNs);
    const keys = [...server.portKeys];
    for (const p of model.ports) {
      if (p.owner.kind === 'server' && p.owner.serverKey === server.key && !keys.includes(p.key)) keys.push(p.key);
    }
    for (const [nicIndex, key] of keys.entries()) {
      const port = model.ports.find((p) => p.key === key);
      if (port === undefined) throw new Error(`LabNetwork ${this.labId}: server ${server.key} names port ${key}, which is not in the stack`);
      await this.buildPort(port, portIndexOf(key), vmNs, `ens${3 + nicIndex}`, defaultRouted);
    }
  }

  /** The subnets on which some router has an interface (its gateway is a default route). */
  private routedGateway(subnetKey: string): string | undefined {
    for (const r of this.model.routers) {
      const itf = r.interfaces.find((x) => x.subnetKey === subnetKey);
      if (itf) return itf.ipAddress;
    }
    return undefined;
  }

  private async buildRouters(): Promise<void> {
    const model = this.model;
    const fab = this.fabricNamespace;
    const extLen = prefixLength(model.external.cidr);
    const extBase = ipToInt(model.external.cidr.split('/')[0]);
    const taken = new Set([model.external.clientAddress, ...model.floatingIps.map((f) => f.address)]);
    let nextHost = 3;
    for (const [n, router] of model.routers.entries()) {
      const rns = this.ns(`r${n}`);
      await this.addNamespace(rns);
      await this.sysctl(rns, ['net.ipv4.ip_forward=1']);
      const cmds: string[] = [];
      const fabCmds: string[] = [];
      const internalCidrs: string[] = [];
      for (const [k, itf] of router.interfaces.entries()) {
        const subnet = this.subnet(itf.subnetKey);
        const br = this.bridges.get(subnet.networkKey);
        if (br === undefined) throw new Error(`LabNetwork ${this.labId}: router ${router.key}: network ${subnet.networkKey} is not in the stack`);
        const inner = `qr-${k}`;
        const outer = `r${n}q${k}`;
        cmds.push(
          `link add ${inner} type veth peer name ${outer} netns ${fab}`,
          `address add ${itf.ipAddress}/${prefixLength(subnet.cidr)} dev ${inner}`,
          `link set ${inner} up`,
        );
        fabCmds.push(`link set ${outer} master ${br}`, `link set ${outer} up`);
        internalCidrs.push(subnet.cidr);
      }
      let gatewayAddress: string | undefined;
      const fips = model.floatingIps.filter((f) => f.routerKey === router.key);
      if (router.externalGateway) {
        while (taken.has(intToIp(extBase + nextHost))) nextHost++;
        gatewayAddress = intToIp(extBase + nextHost);
        taken.add(gatewayAddress);
        nextHost++;
        const outer = `r${n}g`;
        cmds.push(
          `link add qg-ext type veth peer name ${outer} netns ${fab}`,
          `address add ${gatewayAddress}/${extLen} dev qg-ext`,
          ...fips.map((f) => `address add ${f.address}/32 dev qg-ext`),
          'link set qg-ext up',
        );
        fabCmds.push(`link set ${outer} master brex`, `link set ${outer} up`);
      } else if (fips.length > 0) {
        throw new Error(`LabNetwork ${this.labId}: floating IPs ${fips.map((f) => f.key).join(', ')} need router ${router.key} to have an external gateway`);
      }
      await this.ipBatch(rns, cmds);
      await this.ipBatch(fab, fabCmds);
      if (gatewayAddress !== undefined) {
        await must(['ip', 'netns', 'exec', rns, 'nft', '-f', '-'], {
          input: renderRouterNat({ floatingIps: fips, gatewayAddress, internalCidrs, enableSnat: router.enableSnat }),
        });
      }
      this.routerMap.set(router.key, { routerKey: router.key, namespace: rns, gatewayAddress });
    }
  }

  private async buildPort(port: LabPortModel, index: number, vmNs: string, nic: string, defaultRouted: Set<string>): Promise<void> {
    const fab = this.fabricNamespace;
    const br = this.bridges.get(port.networkKey);
    if (br === undefined) throw new Error(`LabNetwork ${this.labId}: port ${port.key}: network ${port.networkKey} is not in the stack`);
    const host = this.ns(`p${index}`);
    await this.addNamespace(host);
    // br_netfilter: bridged IPv4 through the inet hooks (per-namespace since Linux 5.3).
    await this.enableBrNetfilter(host);
    const qvo = `qvo${index}`;
    await this.ipBatch(host, [
      'link add qbr type bridge stp_state 0 forward_delay 0',
      `link add tap type veth peer name ${nic} netns ${vmNs}`,
      `link add qvb type veth peer name ${qvo} netns ${fab}`,
      'link set tap master qbr',
      'link set qvb master qbr',
      'link set qbr up',
      'link set tap up',
      'link set qvb up',
    ]);
    await this.ipBatch(fab, [`link set ${qvo} master ${br}`, `link set ${qvo} up`]);
    const placement: LabPortPlacement = { portKey: port.key, hostNamespace: host, vmNamespace: vmNs, nic };
    await this.loadPortFirewall(placement);
    const vmCmds = [`link set ${nic} address ${port.macAddress}`];
    for (const ip of port.fixedIps) {
      vmCmds.push(`address add ${ip.ipAddress}/${prefixLength(this.subnet(ip.subnetKey).cidr)} dev ${nic}`);
    }
    vmCmds.push(`link set ${nic} up`);
    for (const ip of port.fixedIps) {
      // What Neutron's DHCP hands out: the gateway of a subnet a router serves, once per VM.
      const gw = this.routedGateway(ip.subnetKey);
      if (gw !== undefined && !defaultRouted.has(vmNs)) {
        vmCmds.push(`route add default via ${gw} dev ${nic}`);
        defaultRouted.add(vmNs);
      }
    }
    await this.ipBatch(vmNs, vmCmds);
    this.portMap.set(port.key, placement);
  }

  /** Bridged IPv4 through the inet hooks (per namespace since Linux 5.3); checked, not assumed. */
  private async enableBrNetfilter(namespace: string): Promise<void> {
    const set = await run(['ip', 'netns', 'exec', namespace, 'sysctl', '-q', '-w', 'net.bridge.bridge-nf-call-iptables=1', 'net.bridge.bridge-nf-call-arptables=0']);
    const check = await run(['ip', 'netns', 'exec', namespace, 'sysctl', '-n', 'net.bridge.bridge-nf-call-iptables']);
    if (set.status !== 0 || check.stdout.trim() !== '1') {
      throw new Error(
        `LabNetwork ${this.labId}: br_netfilter is not active in ${namespace} (bridge-nf-call-iptables=${check.stdout.trim() || 'missing'}): ` +
          `load the module on the host (modprobe br_netfilter); without it no security group would be enforced. ${set.stderr.trim()}`,
      );
    }
  }

  private async loadPortFirewall(p: LabPortPlacement): Promise<void> {
    await must(['ip', 'netns', 'exec', p.hostNamespace, 'nft', '-f', '-'], { input: renderPortFirewall(this.model, p.portKey) });
  }
}

/** What a router's NAT table is rendered from. */
export interface RouterNatModel {
  readonly floatingIps: readonly { readonly address: string; readonly fixedIp: string }[];
  /** The router's address on the external network. */
  readonly gatewayAddress: string;
  /** The CIDRs of the subnets behind the router (SNAT sources). */
  readonly internalCidrs: readonly string[];
  readonly enableSnat: boolean;
  /** The external interface. @default 'qg-ext' */
  readonly externalInterface?: string;
}

/** Packet mark of what entered the router by its external interface (Neutron's `external_ingress_mark`). */
const EXTERNAL_INGRESS_MARK = 2;

/**
 * A Neutron L3 agent's NAT for one router: floating IPs (DNAT + SNAT), then SNAT to the gateway;
 * with SNAT, a DNATed connection that did not come from outside (an instance reaching a floating IP
 * of its own network) is SNATed to the gateway too, so its replies come back through the router.
 */
export function renderRouterNat(m: RouterNatModel): string {
  const qg = m.externalInterface ?? 'qg-ext';
  const out = ['table ip hs_router', 'delete table ip hs_router', 'table ip hs_router {'];
  out.push('  chain mark_external {', '    type filter hook prerouting priority mangle; policy accept;');
  out.push(`    iifname "${qg}" meta mark set ${EXTERNAL_INGRESS_MARK}`, '  }');
  out.push('  chain prerouting {', '    type nat hook prerouting priority dstnat; policy accept;');
  for (const f of m.floatingIps) out.push(`    ip daddr ${f.address} dnat to ${f.fixedIp}`);
  out.push('  }');
  out.push('  chain output {', '    type nat hook output priority -100; policy accept;');
  for (const f of m.floatingIps) out.push(`    ip daddr ${f.address} dnat to ${f.fixedIp}`);
  out.push('  }');
  out.push('  chain postrouting {', '    type nat hook postrouting priority srcnat; policy accept;');
  for (const f of m.floatingIps) out.push(`    ip saddr ${f.fixedIp} oifname "${qg}" snat to ${f.address}`);
  if (m.enableSnat && m.internalCidrs.length > 0) {
    out.push(`    ip saddr { ${m.internalCidrs.join(', ')} } oifname "${qg}" snat to ${m.gatewayAddress}`);
  }
  if (m.enableSnat) out.push(`    meta mark != ${EXTERNAL_INGRESS_MARK} ct status dnat snat to ${m.gatewayAddress}`);
  out.push('  }', '}');
  return `${out.join('\n')}\n`;
}
