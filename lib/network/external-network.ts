import { Construct, IConstruct } from 'constructs';
import { regionalScopeOf } from '../core/region-scope';
import { DataOpenstackNetworkingNetworkV2 } from '../../.gen/providers/openstack/data-openstack-networking-network-v2';
import { requireOpenstackName } from '../core/choices';
import { brand, hasBrand } from '../core/peers';
import { requireTerraformLiteral } from '../core/terraform-text';

/**
 * The provider's public network: the router gateway network and the floating-IP pool.
 * On OVHcloud Public Cloud it is `Ext-Net`.
 */
export class ExternalNetwork {
  /** True when `x` is an {@link ExternalNetwork} (a `Symbol.for` brand: look-alike objects are not). */
  public static isExternalNetwork(x: unknown): x is ExternalNetwork {
    return hasBrand(x, 'ExternalNetwork');
  }

  /** OVHcloud Public Cloud's public network. */
  public static ovh(): ExternalNetwork {
    return new ExternalNetwork('Ext-Net');
  }
  /** A public network by name (`public` on DevStack, `Ext-Net` on OVHcloud). */
  public static named(name: string): ExternalNetwork {
    return new ExternalNetwork(name);
  }
  private constructor(
    /** The network's name, also used as the floating-IP pool name. */
    public readonly name: string,
  ) {
    brand(this, 'ExternalNetwork');
  }

  /**
   * Throws a {@link HostingStacksError} naming `scope` and `prop` unless the name is one Neutron can
   * match (not empty, at most 255 characters) and Terraform reads literally (no `${` or `%{`); returns this network otherwise.
   */
  public validate(scope: IConstruct, prop: string): ExternalNetwork {
    requireOpenstackName(scope, prop, this.name, 'a Neutron network name');
    requireTerraformLiteral(scope, prop, this.name);
    return this;
  }

  /** The data-source lookup of this network, one per stack; the name is validated against `scope` first. */
  public lookup(scope: Construct, prop = 'externalNetwork'): DataOpenstackNetworkingNetworkV2 {
    this.validate(scope, prop);
    // One per region: the stack's, or a Site's with a region of its own (its provider alias).
    const owner = regionalScopeOf(scope);
    const id = `ExternalNetwork-${this.name.replace(/[^A-Za-z0-9]/g, '_')}`;
    const existing = owner.node.tryFindChild(id);
    if (existing) return existing as DataOpenstackNetworkingNetworkV2;
    return new DataOpenstackNetworkingNetworkV2(owner, id, { name: this.name, external: true });
  }
}
