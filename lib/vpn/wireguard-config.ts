import { renderTemplate } from '../config/template';

/** WireGuard's registered UDP port (wg-quick's and the IANA default). */
export const WIREGUARD_DEFAULT_PORT = 51820;

/**
 * A WireGuard key as `wg genkey` / `wg pubkey` print it: 32 bytes in base64, 44 characters ending
 * in `=`; the character before `=` carries only 2 bits, so it is one of `AEIMQUYcgkosw048`.
 */
export const WIREGUARD_KEY_PATTERN = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/** True when `key` is a well-formed WireGuard (Curve25519) key in base64. */
export function isWireguardKey(key: string): boolean {
  return WIREGUARD_KEY_PATTERN.test(key);
}

/** One `[Peer]` section. */
export interface WireguardPeerModel {
  /** Name, kept as the section's comment. */
  readonly name: string;
  /** The peer's public key. */
  readonly publicKey: string;
  /** Source addresses accepted from the peer and routed to it (cryptokey routing); wg-quick adds a route for each. */
  readonly allowedIps: readonly string[];
  /** `host:port` the interface sends to first. @default - none: the peer connects first, its address is learnt */
  readonly endpoint?: string;
  /** Seconds between keepalives through NAT. @default - none */
  readonly persistentKeepaliveSeconds?: number;
}

/** What `/etc/wireguard/<interface>.conf` holds, in wg-quick's format. */
export interface WireguardInterfaceModel {
  /** Interface name (`wg0`); the file must be `<interfaceName>.conf`. */
  readonly interfaceName: string;
  /** Host name, for the header comment. */
  readonly hostname: string;
  /** What the interface is for, for the header comment. */
  readonly comment: string;
  /** The interface's tunnel address with its prefix (`10.99.0.1/24`), a wg-quick `Address`. */
  readonly address: string;
  /** UDP port the interface listens on. */
  readonly listenPort: number;
  /** The private key, or a Terraform reference to the sensitive variable holding it. */
  readonly privateKey: string;
  /** The peers, in order. */
  readonly peers: readonly WireguardPeerModel[];
}

/** Renders a wg-quick interface config from `templates/wireguard.conf.hbs`. Pure. */
export function renderWireguardConfig(model: WireguardInterfaceModel): string {
  return renderTemplate('wireguard.conf.hbs', {
    ...model,
    peers: model.peers.map((p) => ({ endpoint: undefined, persistentKeepaliveSeconds: undefined, ...p })),
  });
}

/** The source-NAT table appended to a VPN gateway's nftables ruleset. */
export interface WireguardNatModel {
  /** nftables table name (`ip` family). */
  readonly tableName: string;
  /** Why, for the comment. */
  readonly comment: string;
  /** Source blocks masqueraded: the offices' CIDRs and the tunnel pool. */
  readonly sources: readonly string[];
  /** The tunnel interface; what leaves through it keeps its source. */
  readonly tunnelInterface: string;
}

/**
 * Renders a `table ip <name>` whose postrouting chain masquerades what the offices send anywhere
 * but back into the tunnel. Pure; meant to follow a `flush ruleset` ruleset in the same file.
 */
export function renderWireguardNatTable(model: WireguardNatModel): string {
  return renderTemplate('wireguard-nat.nft.hbs', model);
}

/** A `/etc/sysctl.d/*.conf` file. */
export interface WireguardSysctlModel {
  /** Why these settings. */
  readonly comment: string;
  /** Keys and values, in order. */
  readonly settings: readonly { readonly key: string; readonly value: string }[];
}

/** Renders the gateway's sysctl.d file (IPv4 forwarding). Pure. */
export function renderWireguardSysctl(model: WireguardSysctlModel): string {
  return renderTemplate('wireguard-sysctl.conf.hbs', model);
}
