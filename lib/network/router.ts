import { Construct } from 'constructs';
import { NetworkingRouterV2 } from '../../.gen/providers/openstack/networking-router-v2';
import { resourceName } from '../core/naming';
import { requireTerraformLiteral } from '../core/terraform-text';
import { requireOpenstackName } from '../core/choices';
import { ExternalNetwork } from './external-network';
import { brand, hasBrand, Kinds, optionalPeer, requireProps } from '../core/peers';

/** Props of {@link Router}. */
export interface RouterProps {
  /** Public network for the gateway (SNAT out, floating IPs in). @default - no external gateway: the router only routes between its subnets */
  readonly externalNetwork?: ExternalNetwork;
  /** Router name. @default - derived from the construct path */
  readonly name?: string;
}

/**
 * A Neutron router (OVHcloud "Public Cloud Gateway" when it has an external gateway). Several
 * {@link PrivateVSwitch}es can share one, which routes between them; security groups still decide
 * what may cross.
 */
export class Router extends Construct {
  /** True when `x` is a {@link Router} (a `Symbol.for` brand: look-alike objects are not). */
  public static isRouter(x: unknown): x is Router {
    return hasBrand(x, 'Router');
  }

  /** The router resource, construct id `Resource`. */
  public readonly resource: NetworkingRouterV2;
  /** The public network of the gateway, if any. */
  public readonly externalNetwork?: ExternalNetwork;

  constructor(scope: Construct, id: string, props: RouterProps = {}) {
    super(scope, id);
    brand(this, 'Router');
    requireProps(this, props);
    optionalPeer(this, 'externalNetwork', props.externalNetwork, Kinds.EXTERNAL_NETWORK);
    this.externalNetwork = props.externalNetwork;
    if (props.name !== undefined) requireOpenstackName(this, 'name', props.name, 'a Neutron router name');
    requireTerraformLiteral(this, 'name', props.name, true);
    this.resource = new NetworkingRouterV2(this, 'Resource', {
      name: props.name ?? resourceName(this),
      externalNetworkId: props.externalNetwork?.lookup(this).id,
    });
  }
}
