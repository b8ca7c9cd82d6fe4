import { renderTemplate } from '../config/template';

/** The OpenStack metadata service's IPv4 address (Nova, Neutron's metadata proxy). */
export const METADATA_IPV4 = '169.254.169.254';

/** The metadata service's IPv6 address on clouds that serve it over IPv6 (Neutron, link-local). */
export const METADATA_IPV6 = 'fe80::a9fe:a9fe';

/** The nftables table of the guard: its own, so no other ruleset's author has to know about it. */
export const METADATA_GUARD_TABLE = 'hosting_stacks_metadata';

/** Where the guard's ruleset is written on every server. */
export const METADATA_GUARD_RULESET_PATH = '/etc/hosting-stacks/metadata-guard.nft';

/** The systemd unit that loads the guard. */
export const METADATA_GUARD_UNIT = 'hosting-stacks-metadata-guard.service';

/** What the metadata guard of a server blocks and where it lives. */
export interface MetadataGuardModel {
  /** nftables table name (family `inet`). */
  readonly tableName: string;
  /** Metadata service IPv4 address. */
  readonly ipv4: string;
  /** Metadata service IPv6 address. @default - IPv4 only */
  readonly ipv6?: string;
  /** Path of the ruleset file on the server. */
  readonly rulesetPath: string;
  /** Name of the unit loading it. */
  readonly unitName: string;
}

/** The guard of every server the library builds. */
export const DEFAULT_METADATA_GUARD: MetadataGuardModel = {
  tableName: METADATA_GUARD_TABLE,
  ipv4: METADATA_IPV4,
  ipv6: METADATA_IPV6,
  rulesetPath: METADATA_GUARD_RULESET_PATH,
  unitName: METADATA_GUARD_UNIT,
};

/**
 * Renders the guard's nftables ruleset: `table inet <tableName>` whose output chain resets TCP
 * connections to the metadata service from any socket not owned by root (`meta skuid != 0`; the
 * output hook sees only locally generated packets, which carry their socket). It never flushes
 * other tables and can be loaded again at any time. Pure.
 */
export function renderMetadataGuardRuleset(model: MetadataGuardModel): string {
  return renderTemplate('metadata-guard.nft.hbs', { ...model, ipv6: model.ipv6 ?? false });
}

/**
 * Renders the systemd unit loading the guard after nftables.service and again whenever that
 * service restarts or reloads. Pure.
 */
export function renderMetadataGuardUnit(model: MetadataGuardModel): string {
  return renderTemplate('metadata-guard.service.hbs', model);
}
