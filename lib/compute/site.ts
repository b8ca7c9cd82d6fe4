import { Construct, IConstruct } from 'constructs';
import { HostingStacksError } from '../core/errors';
import { brand, hasBrand } from '../core/peers';
import { requireText, TextKind } from '../core/text';

/** OVHcloud's Paris 3-AZ region: three availability zones, datacenters several kilometres apart. */
export const OVH_PARIS_3AZ_REGION = 'EU-WEST-PAR';

/**
 * The availability zones of {@link OVH_PARIS_3AZ_REGION}, as OVHcloud names them. A project lists
 * its own with `openstack availability zone list`; give those to {@link Site} if they differ.
 */
export const OVH_PARIS_3AZ_ZONES: readonly string[] = ['eu-west-par-a', 'eu-west-par-b', 'eu-west-par-c'];

/** Props of {@link Site}. */
export interface SiteProps {
  /**
   * The availability zone (Nova and Cinder) the site's servers and boot volumes are created in.
   * Networks stay regional: one vSwitch spans every zone of the region, so the sites talk over it
   * privately, never over the internet.
   */
  readonly availabilityZone: string;
  /** Short name of the site, used in host names and outputs (`a`, `par-b`). @default - the zone's last dash-separated part */
  readonly siteName?: string;
}

/**
 * A site of an active-active stack: one availability zone of a multi-AZ region (a datacenter of
 * its own, with its own power and network, a few kilometres from the others).
 *
 * Every server made inside a Site's scope is created in its zone (a `ServerCluster` looks for the
 * nearest enclosing Site); a construct that spans sites (a Galera cluster) names the site of each
 * of its servers with the `site` prop of `ServerCluster`.
 *
 * @example
 * const a = new Site(stack, 'SiteA', { availabilityZone: 'eu-west-par-a' });
 * new AppTier(a, 'App', { vswitch, count: 4, flavor }); // four servers in eu-west-par-a
 */
export class Site extends Construct {
  /** True when `x` is a {@link Site}. */
  public static isSite(x: unknown): x is Site {
    return hasBrand(x, 'Site');
  }

  /** The nearest Site among `construct` and its scopes, or undefined when it is in none. */
  public static of(construct: IConstruct): Site | undefined {
    return [...construct.node.scopes].reverse().find((s): s is Site => Site.isSite(s));
  }

  /** The availability zone. */
  public readonly availabilityZone: string;
  /** Short name of the site. */
  public readonly siteName: string;

  constructor(scope: Construct, id: string, props: SiteProps) {
    super(scope, id);
    brand(this, 'Site');
    if (typeof props !== 'object' || props === null) throw new HostingStacksError(this, 'props', props, 'must be an object with availabilityZone');
    requireText(this, 'availabilityZone', props.availabilityZone, TextKind.NAME, {
      pattern: /^[A-Za-z0-9][A-Za-z0-9._:-]{0,62}$/,
      allowed: "must be an availability zone name (letters, digits, '.', '_', ':' and '-', at most 63 characters), e.g. 'eu-west-par-a'",
    });
    this.availabilityZone = props.availabilityZone;
    this.siteName = props.siteName ?? props.availabilityZone.split('-').pop()!.toLowerCase();
    requireText(this, 'siteName', this.siteName, TextKind.NAME, {
      pattern: /^[a-z][a-z0-9-]{0,15}$/,
      allowed: 'must be lower-case letters, digits and dashes, starting with a letter (at most 16 characters)',
    });
    const outer = Site.of(scope);
    if (outer) throw new HostingStacksError(this, 'scope', outer.node.path, 'is a Site already: a site is not inside another');
  }
}
