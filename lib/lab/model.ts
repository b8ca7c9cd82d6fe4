/**
 * What the lab builds, read from a synthesized stack (`cdk.tf.json`) as Terraform would create it
 * with the variables' defaults: every value here is derived from the Terraform resources, never from
 * the library's constructs. `readStackModel()` (stack-model.ts) produces it; the network, the
 * servers and the amphorae are built from it.
 *
 * Keys are Terraform addresses (`openstack_networking_port_v2.Web_Servers_Instance1_Port_BE422376`,
 * with `[i]` for a counted resource), so a report names exactly what a user finds in the JSON.
 */

/** A Neutron network (a bridge in the lab). */
export interface LabNetworkModel {
  /** Terraform address of the `openstack_networking_network_v2`. */
  readonly key: string;
  /** Its `name`. */
  readonly name: string;
  /** Its subnets. */
  readonly subnetKeys: readonly string[];
  /**
   * The L2 segment it is part of, when it shares one with networks of other regions: OVHcloud's
   * vRack VLAN (`value_specs` `provider:network_type = vrack`, `provider:segmentation_id = N`) is one
   * broadcast domain in every region, so the lab puts such networks on one bridge (`vrack:N`).
   */
  readonly segment?: string;
}

/** A Neutron subnet. */
export interface LabSubnetModel {
  /** Terraform address of the `openstack_networking_subnet_v2`. */
  readonly key: string;
  /** Its network. */
  readonly networkKey: string;
  /** `10.20.1.0/24`. */
  readonly cidr: string;
  /** Gateway address (`gateway_ip`, or the first host of the CIDR as Neutron defaults it). */
  readonly gatewayIp?: string;
}

/** An interface of a router on a subnet (`openstack_networking_router_interface_v2`). */
export interface LabRouterInterfaceModel {
  readonly key: string;
  readonly subnetKey: string;
  /** The subnet's gateway address, which the router takes. */
  readonly ipAddress: string;
}

/** A Neutron router (a namespace with its interfaces). */
export interface LabRouterModel {
  readonly key: string;
  readonly name: string;
  /** Whether it has an external gateway (`external_network_id` set). */
  readonly externalGateway: boolean;
  /** Source NAT of the subnets behind it towards the external network (`enable_snat`, default true). */
  readonly enableSnat: boolean;
  /** The address the lab gives its external gateway (from the lab's external range), when it has one. */
  readonly externalAddress?: string;
  readonly interfaces: readonly LabRouterInterfaceModel[];
}

/** One rule of a security group (`openstack_networking_secgroup_rule_v2`). */
export interface LabSecurityGroupRuleModel {
  readonly key: string;
  readonly direction: 'ingress' | 'egress';
  readonly ethertype: 'IPv4' | 'IPv6';
  /** `tcp`, `udp`, `icmp`, `vrrp`, a protocol number as a string, or undefined for any. */
  readonly protocol?: string;
  readonly portRangeMin?: number;
  readonly portRangeMax?: number;
  /** `remote_ip_prefix`. */
  readonly remoteIpPrefix?: string;
  /** `remote_group_id`, as the group's Terraform address. */
  readonly remoteGroupKey?: string;
  readonly description?: string;
}

/** A security group (`openstack_networking_secgroup_v2`) and its rules. */
export interface LabSecurityGroupModel {
  readonly key: string;
  readonly name: string;
  /**
   * Whether Neutron's default egress rules exist (allow all IPv4 and IPv6 egress): true unless
   * `delete_default_rules` is set.
   */
  readonly defaultEgress: boolean;
  /** Stateful (the default); `stateful: false` makes a stateless group. */
  readonly stateful: boolean;
  readonly rules: readonly LabSecurityGroupRuleModel[];
}

/** An address pair a port may also send from (`allowed_address_pairs`). */
export interface LabAddressPairModel {
  /** An address or a CIDR (`10.20.1.3`, `0.0.0.0/0`). */
  readonly ipAddress: string;
  /** @default - the port's own MAC */
  readonly macAddress?: string;
}

/** Who a port belongs to. */
export type LabPortOwner =
  | { readonly kind: 'server'; readonly serverKey: string }
  | { readonly kind: 'loadbalancer'; readonly loadBalancerKey: string }
  | { readonly kind: 'router'; readonly routerKey: string }
  | { readonly kind: 'none' };

/** A Neutron port: what is enforced between an interface and its network. */
export interface LabPortModel {
  /** Terraform address (`openstack_networking_port_v2.X`, `openstack_lb_loadbalancer_v2.Y#vip`, ...). */
  readonly key: string;
  readonly name: string;
  readonly networkKey: string;
  readonly fixedIps: readonly { readonly subnetKey: string; readonly ipAddress: string }[];
  /** MAC address the lab gives the port (locally administered, stable per key). */
  readonly macAddress: string;
  /** Port security (anti-spoofing and security groups); `port_security_enabled` defaults to true. */
  readonly portSecurity: boolean;
  /** Security groups applied (empty with port security on means Neutron's `default` group is not modelled: nothing in). */
  readonly securityGroupKeys: readonly string[];
  readonly allowedAddressPairs: readonly LabAddressPairModel[];
  readonly owner: LabPortOwner;
}

/** A server (`openstack_compute_instance_v2`, one per count index that exists). */
export interface LabServerModel {
  /** Terraform address, with `[i]` when counted. */
  readonly key: string;
  /** Its `name` (the hostname cloud-init sets). */
  readonly name: string;
  /** `metadata["hosting-stacks:path"]` when present: the construct path, for reports. */
  readonly constructPath?: string;
  readonly flavorName?: string;
  /** Its ports, in NIC order. */
  readonly portKeys: readonly string[];
  /** The user_data exactly as Terraform would hand it to Nova (expressions evaluated). */
  readonly userData: string;
  /** Its `metadata` (expressions evaluated), which the lab's metadata service serves it as Nova does. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** The OpenSSH public key of its Nova key pair (`key_pair`), which cloud-init authorizes for the default user. */
  readonly keyPairPublicKey?: string;
  /** Its `lifecycle.ignore_changes` (`user_data`, `metadata["key"]`): what an apply leaves as created. */
  readonly ignoreChanges?: readonly string[];
}

/** A floating IP associated with a port (`openstack_networking_floatingip_v2` + `_associate_v2`). */
export interface LabFloatingIpModel {
  readonly key: string;
  /** The public address the lab gives it (from the lab's external range). */
  readonly address: string;
  readonly portKey: string;
  /** The fixed address it translates to. */
  readonly fixedIp: string;
  /** The router that does the NAT (the one with an interface on the port's subnet). */
  readonly routerKey: string;
}

/** An Octavia health monitor. */
export interface LabMonitorModel {
  readonly key: string;
  /** `HTTP`, `HTTPS`, `TCP`, `PING`, `UDP-CONNECT`, `TLS-HELLO`. */
  readonly type: string;
  readonly delay: number;
  readonly timeout: number;
  readonly maxRetries: number;
  readonly maxRetriesDown: number;
  readonly httpMethod?: string;
  readonly urlPath?: string;
  readonly expectedCodes?: string;
  /** `http_version` (1.0 or 1.1); the amphora sends `HTTP/<v>` in the check line when set. */
  readonly httpVersion?: number;
  /** `domain_name`: the Host header of an HTTP/1.1 check. */
  readonly domainName?: string;
}

/** An Octavia pool member. */
export interface LabMemberModel {
  readonly key: string;
  readonly name?: string;
  readonly address: string;
  /** `subnet_id`: Octavia plugs the amphora into this subnet and reaches the member from there. */
  readonly subnetKey?: string;
  readonly protocolPort: number;
  readonly weight: number;
  readonly adminStateUp: boolean;
  readonly backup: boolean;
}

/** An Octavia pool. */
export interface LabPoolModel {
  readonly key: string;
  readonly name?: string;
  /** `HTTP`, `HTTPS`, `TCP`, `PROXY`, ... */
  readonly protocol: string;
  /** `ROUND_ROBIN`, `LEAST_CONNECTIONS`, `SOURCE_IP`. */
  readonly lbMethod: string;
  /** `persistence` block: `SOURCE_IP`, `HTTP_COOKIE`, `APP_COOKIE`. */
  readonly persistence?: { readonly type: string; readonly cookieName?: string };
  readonly members: readonly LabMemberModel[];
  readonly monitor?: LabMonitorModel;
}

/** An L7 rule. */
export interface LabL7RuleModel {
  readonly key: string;
  readonly type: string;
  readonly compareType: string;
  readonly value: string;
  readonly key2?: string;
  readonly invert: boolean;
}

/** An L7 policy of a listener. */
export interface LabL7PolicyModel {
  readonly key: string;
  readonly name?: string;
  /** `REDIRECT_TO_URL`, `REDIRECT_PREFIX`, `REDIRECT_TO_POOL`, `REJECT`. */
  readonly action: string;
  readonly position: number;
  readonly redirectUrl?: string;
  readonly redirectPrefix?: string;
  readonly redirectHttpCode?: number;
  readonly redirectPoolKey?: string;
  readonly rules: readonly LabL7RuleModel[];
}

/** An Octavia listener. */
export interface LabListenerModel {
  readonly key: string;
  readonly name?: string;
  /** `HTTP`, `HTTPS`, `TCP`, `TERMINATED_HTTPS`, `UDP`. */
  readonly protocol: string;
  readonly protocolPort: number;
  readonly connectionLimit?: number;
  readonly insertHeaders: Readonly<Record<string, string>>;
  readonly timeoutClientData?: number;
  readonly timeoutMemberConnect?: number;
  readonly timeoutMemberData?: number;
  readonly timeoutTcpInspect?: number;
  /** `allowed_cidrs` (empty: any source). */
  readonly allowedCidrs: readonly string[];
  /** The listener's default pool (a pool with `listener_id` on it, or `default_pool_id`). */
  readonly defaultPoolKey?: string;
  /** PEM (certificate chain + key) the lab generated for `default_tls_container_ref` (TERMINATED_HTTPS). */
  readonly tlsPem?: string;
  /** `tls_ciphers` (OpenSSL cipher string) of a TERMINATED_HTTPS listener. */
  readonly tlsCiphers?: string;
  /** `tls_versions` (`TLSv1.2`, `TLSv1.3`, ...) of a TERMINATED_HTTPS listener. */
  readonly tlsVersions?: readonly string[];
  /** `alpn_protocols` (`h2`, `http/1.1`, ...) of a TERMINATED_HTTPS listener. */
  readonly alpnProtocols?: readonly string[];
  readonly l7Policies: readonly LabL7PolicyModel[];
}

/** An Octavia load balancer: the lab runs an amphora (haproxy) on its VIP port. */
export interface LabLoadBalancerModel {
  readonly key: string;
  readonly name: string;
  readonly vipAddress: string;
  readonly vipSubnetKey: string;
  /** The VIP port (`<key>#vip` in `ports`). */
  readonly vipPortKey: string;
  readonly listeners: readonly LabListenerModel[];
  /** Every pool of the load balancer, default pools and L7 targets. */
  readonly pools: readonly LabPoolModel[];
}

/** A resource the lab does not realise, and why (reported, never silently ignored). */
export interface LabUnrealised {
  readonly key: string;
  readonly reason: string;
}

/** Everything the lab builds for one synthesized stack. */
export interface LabStackModel {
  /** The stack directory's name (`popgom`). */
  readonly stackName: string;
  readonly networks: readonly LabNetworkModel[];
  readonly subnets: readonly LabSubnetModel[];
  readonly routers: readonly LabRouterModel[];
  readonly securityGroups: readonly LabSecurityGroupModel[];
  readonly ports: readonly LabPortModel[];
  readonly servers: readonly LabServerModel[];
  readonly floatingIps: readonly LabFloatingIpModel[];
  readonly loadBalancers: readonly LabLoadBalancerModel[];
  /** The external network's CIDR the lab invented, its gateway is the internet client's side. */
  readonly external: { readonly cidr: string; readonly clientAddress: string };
  /** The values the lab gave the variables (generated test values for required ones). */
  readonly variables: Readonly<Record<string, unknown>>;
  /** Resources outside what the lab realises (object storage, Manila shares, volumes, ...). */
  readonly unrealised: readonly LabUnrealised[];
}
