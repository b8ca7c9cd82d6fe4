import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { DataOpenstackNetworkingNetworkV2 } from '../../.gen/providers/openstack/data-openstack-networking-network-v2';

/**
 * The provider's public network: the router gateway network and the floating-IP pool.
 * On OVHcloud Public Cloud it is `Ext-Net`.
 */
export class ExternalNetwork {
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
  ) {}

  /** The data-source lookup of this network, one per stack. */
  public lookup(scope: Construct): DataOpenstackNetworkingNetworkV2 {
    const stack = TerraformStack.of(scope);
    const id = `ExternalNetwork-${this.name.replace(/[^A-Za-z0-9]/g, '_')}`;
    const existing = stack.node.tryFindChild(id);
    if (existing) return existing as DataOpenstackNetworkingNetworkV2;
    return new DataOpenstackNetworkingNetworkV2(stack, id, { name: this.name, external: true });
  }
}
