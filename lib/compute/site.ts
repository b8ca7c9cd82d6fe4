import { Aspects, TerraformDataSource, TerraformResource, TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { OpenstackProvider } from '../../.gen/providers/openstack/provider';
import { requireOpenstackName } from '../core/choices';
import { HostingStacksError } from '../core/errors';
import { brand, hasBrand } from '../core/peers';
import { requireTerraformLiteral } from '../core/terraform-text';
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
   * privately, never over the internet. Required unless `region` is given.
   * @default - with `region`: none, the region's scheduler picks
   */
  readonly availabilityZone?: string;
  /**
   * A region of its own (`GRA11`, `SBG5`): the site gets an OpenStack provider alias for that
   * region, and every resource and data source made in its scope uses it. Networks, routers,
   * security groups, key pairs and image lookups are regional, so everything the site's servers
   * use must be made in its scope too; sites in different regions talk over a
   * {@link SiteInterconnect} (a vRack VLAN present in each region), never by security group.
   * @default - the stack's region (the site is one of its availability zones)
   */
  readonly region?: string;
  /** Short name of the site, used in host names, outputs and the provider alias (`a`, `gra`). @default - the zone's (else the region's) last dash-separated part, in lower case */
  readonly siteName?: string;
}

/**
 * A site of an active-active stack: one availability zone of a multi-AZ region (a datacenter of
 * its own, with its own power and network, a few kilometres from the others), or a region of its
 * own (`region`: a provider alias, so everything made in its scope is created there).
 *
 * Every server made inside a Site's scope is created in its zone (a `ServerCluster` looks for the
 * nearest enclosing Site); a construct that spans sites (a Galera cluster) names the site of each
 * of its servers with the `site` prop of `ServerCluster`.
 *
 * @example
 * const a = new Site(stack, 'SiteA', { availabilityZone: 'eu-west-par-a' });
 * new AppTier(a, 'App', { vswitch, count: 4, flavor }); // four servers in eu-west-par-a
 *
 * const gra = new Site(stack, 'Gra', { region: 'GRA11' });
 * const net = new PrivateVSwitch(gra, 'Net', { cidr: '10.1.0.0/24', router: new Router(gra, 'Router') });
 * new AppTier(gra, 'App', { vswitch: net, count: 2, flavor }); // in GRA11, by the alias site-gra11
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

  /** The region `construct` is made in: its Site's own region, or undefined for the stack's. */
  public static regionOf(construct: IConstruct): string | undefined {
    return Site.of(construct)?.region;
  }

  /** The availability zone, when the site is one. */
  public readonly availabilityZone?: string;
  /** The site's own region, when it has one (see {@link SiteProps.region}). */
  public readonly region?: string;
  /** The provider alias of the site's region (undefined when the site is a zone of the stack's region). */
  public readonly provider?: OpenstackProvider;
  /** Short name of the site. */
  public readonly siteName: string;

  constructor(scope: Construct, id: string, props: SiteProps) {
    super(scope, id);
    brand(this, 'Site');
    if (typeof props !== 'object' || props === null) throw new HostingStacksError(this, 'props', props, 'must be an object with availabilityZone or region');
    if (props.availabilityZone === undefined && props.region === undefined) {
      throw new HostingStacksError(this, 'availabilityZone', undefined, "must be given, or region: a site is a zone of the stack's region ('eu-west-par-a') or a region of its own ('GRA11')");
    }
    if (props.availabilityZone !== undefined) {
      requireText(this, 'availabilityZone', props.availabilityZone, TextKind.NAME, {
        pattern: /^[A-Za-z0-9][A-Za-z0-9._:-]{0,62}$/,
        allowed: "must be an availability zone name (letters, digits, '.', '_', ':' and '-', at most 63 characters), e.g. 'eu-west-par-a'",
      });
    }
    if (props.region !== undefined) {
      requireOpenstackName(this, 'region', props.region, 'an OpenStack region name');
      requireTerraformLiteral(this, 'region', props.region);
    }
    this.availabilityZone = props.availabilityZone;
    this.region = props.region;
    this.siteName = props.siteName ?? (props.availabilityZone ?? props.region!).split('-').pop()!.toLowerCase();
    requireText(this, 'siteName', this.siteName, TextKind.NAME, {
      pattern: /^[a-z][a-z0-9-]{0,15}$/,
      allowed: 'must be lower-case letters, digits and dashes, starting with a letter (at most 16 characters)',
    });
    const outer = Site.of(scope);
    if (outer) throw new HostingStacksError(this, 'scope', outer.node.path, 'is a Site already: a site is not inside another');
    if (this.region !== undefined) {
      const stack = TerraformStack.of(this);
      const alias = `site-${this.siteName}`;
      if (stack.node.tryFindChild(`Provider-${alias}`)) {
        throw new HostingStacksError(this, 'siteName', this.siteName, 'must be unique among the sites with a region of their own: it names the provider alias');
      }
      // Same credentials as the stack's provider (OS_* variables), another region.
      this.provider = new OpenstackProvider(stack, `Provider-${alias}`, { alias, region: this.region });
      const site = this;
      Aspects.of(this).add({ visit: (node: IConstruct) => (node === site ? site.applyProvider() : undefined) });
    }
  }

  /**
   * Gives every resource and data source in the site's scope that names no provider the site's
   * provider alias (nothing when the site is a zone of the stack's region). Idempotent; synth
   * calls it (an aspect, and HostingStack's toTerraform), after every construct is made.
   */
  public applyProvider(): void {
    if (!this.provider) return;
    for (const node of this.node.findAll()) {
      if ((node instanceof TerraformResource || node instanceof TerraformDataSource) && node.provider === undefined) node.provider = this.provider;
    }
  }
}
