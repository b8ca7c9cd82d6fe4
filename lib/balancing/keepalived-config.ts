import { renderTemplate } from '../config/template';

/** VRRP states keepalived can start an instance in. */
export enum VrrpState {
  MASTER = 'MASTER',
  BACKUP = 'BACKUP',
}

/** IPVS forwarding methods keepalived's `lvs_method` takes (TUN is not offered: OpenStack tenant networks are one L2 segment). */
export enum LvsForwarding {
  /** Direct routing: the director rewrites only the MAC; real servers hold the VIP on `lo` and answer clients directly. */
  DIRECT_ROUTING = 'DR',
  /** Masquerading: the director rewrites the destination; replies must come back through it. */
  NAT = 'NAT',
}

/** IPVS schedulers (`lvs_sched`, `ipvsadm -s`). */
export enum LvsScheduler {
  ROUND_ROBIN = 'rr',
  WEIGHTED_ROUND_ROBIN = 'wrr',
  LEAST_CONNECTION = 'lc',
  WEIGHTED_LEAST_CONNECTION = 'wlc',
  /** Source hashing: a client address always lands on the same real server while it is up. */
  SOURCE_HASHING = 'sh',
  /** Maglev hashing: like source hashing with less reshuffling when a server goes. */
  MAGLEV_HASHING = 'mh',
  /** Shortest expected delay. */
  SHORTEST_EXPECTED_DELAY = 'sed',
  /** Never queue: an idle server first, else shortest expected delay. */
  NEVER_QUEUE = 'nq',
}

/** Health checker of one real server, as keepalived's `HTTP_GET` or `TCP_CHECK`. */
export interface KeepalivedCheckModel {
  /** `http` renders `HTTP_GET`, `tcp` renders `TCP_CHECK`. */
  readonly kind: 'http' | 'tcp';
  /** URL path requested (HTTP only). */
  readonly path?: string;
  /** Status code that means healthy (HTTP only). */
  readonly statusCode?: number;
  /** Seconds before a connection attempt fails (`connect_timeout`). */
  readonly connectTimeoutSeconds: number;
  /** Extra attempts after a failed check before the server is removed (`retry`). */
  readonly retry: number;
  /** Seconds between those extra attempts (`delay_before_retry`). */
  readonly delayBeforeRetrySeconds: number;
}

/** One `real_server` block. */
export interface KeepalivedRealServerModel {
  /** Real server address. */
  readonly address: string;
  /** Real server port. */
  readonly port: number;
  /** IPVS weight. */
  readonly weight: number;
  /** Its health check. */
  readonly check: KeepalivedCheckModel;
}

/** One `virtual_server VIP PORT` block. */
export interface KeepalivedVirtualServerModel {
  /** Virtual address (the VIP). */
  readonly address: string;
  /** Virtual port. */
  readonly port: number;
  /** Scheduler (`lvs_sched`). */
  readonly scheduler: LvsScheduler;
  /** Forwarding method (`lvs_method`). */
  readonly forwarding: LvsForwarding;
  /** Seconds between health checks (`delay_loop`). */
  readonly delayLoopSeconds: number;
  /** The real servers. */
  readonly realServers: readonly KeepalivedRealServerModel[];
}

/** The one `vrrp_instance` of a director. */
export interface KeepalivedVrrpInstanceModel {
  /** Instance name (`VI_...`). */
  readonly name: string;
  /** Interface VRRP runs on and the VIP is added to. */
  readonly interface: string;
  /** Start state; BACKUP on both nodes when `nopreempt` is set. */
  readonly state: VrrpState;
  /** Priority 1-254; the higher wins the election. */
  readonly priority: number;
  /** VRRP router id 1-255, shared by both peers. */
  readonly virtualRouterId: number;
  /** Seconds between adverts (VRRPv3 allows hundredths). */
  readonly advertIntervalSeconds: number;
  /** This node's own address, source of its unicast adverts. */
  readonly unicastSrcIp: string;
  /** The other node(s), to which adverts are sent by unicast (OpenStack networks need no multicast then). */
  readonly unicastPeers: readonly string[];
  /** When true a recovered node with the higher priority does not take the VIP back. */
  readonly nopreempt: boolean;
  /** Addresses the master holds, with prefix length (`10.0.1.5/32`). */
  readonly virtualIpAddresses: readonly string[];
  /** Names of `vrrp_script`s to track: while one fails the node is in FAULT and gives up the VIP. @default - none */
  readonly trackScripts?: readonly string[];
}

/** One `vrrp_script` block: a command keepalived runs to decide whether this node may hold the VIP. */
export interface KeepalivedVrrpScriptModel {
  /** Script name, referenced by `track_script`. */
  readonly name: string;
  /** Command line, absolute program path first (script security refuses a bare name). */
  readonly script: string;
  /** Seconds between runs. */
  readonly intervalSeconds: number;
  /** Seconds after which a run counts as failed. */
  readonly timeoutSeconds: number;
  /** Consecutive failures before the node goes to FAULT. */
  readonly fall: number;
  /** Consecutive successes before it leaves FAULT. */
  readonly rise: number;
}

/** Everything `/etc/keepalived/keepalived.conf` of one director holds. */
export interface KeepalivedConfigModel {
  /** `router_id` in `global_defs`: the host name, for logs. */
  readonly routerId: string;
  /** The VRRP instance. */
  readonly vrrpInstance: KeepalivedVrrpInstanceModel;
  /** The IPVS virtual servers. */
  readonly virtualServers: readonly KeepalivedVirtualServerModel[];
  /** Files included first (e.g. the boot-time definition of `$NIC`). @default - none */
  readonly includes?: readonly string[];
  /** Health scripts of this node (`vrrp_script`); they run as root with `enable_script_security`. @default - none */
  readonly vrrpScripts?: readonly KeepalivedVrrpScriptModel[];
}

/** Renders a keepalived.conf (VRRPv3, unicast adverts, optional tracked scripts, IPVS virtual servers). Pure. */
export function renderKeepalivedConfig(model: KeepalivedConfigModel): string {
  return renderTemplate('keepalived.conf.hbs', {
    ...model,
    vrrpScripts: model.vrrpScripts ?? [],
    includes: model.includes ?? [],
    vrrpInstance: { ...model.vrrpInstance, trackScripts: model.vrrpInstance.trackScripts ?? [] },
  });
}
