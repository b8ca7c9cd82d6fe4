import { Construct } from 'constructs';
import { NetworkingRouterV2 } from '../../.gen/providers/openstack/networking-router-v2';
import { resourceName } from '../core/naming';
import { ExternalNetwork } from './external-network';

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
  /** The router resource, construct id `Resource`. */
  public readonly resource: NetworkingRouterV2;
  /** The public network of the gateway, if any. */
  public readonly externalNetwork?: ExternalNetwork;

  constructor(scope: Construct, id: string, props: RouterProps = {}) {
    super(scope, id);
    this.externalNetwork = props.externalNetwork;
    this.resource = new NetworkingRouterV2(this, 'Resource', {
      name: props.name ?? resourceName(this),
      externalNetworkId: props.externalNetwork?.lookup(this).id,
    });
  }
}
