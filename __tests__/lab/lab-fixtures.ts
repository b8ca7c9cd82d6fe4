/** A tiny hand-written LabStackModel for the lab network's tests: one network, one router, ports added per test. */
import type {
  LabAddressPairModel,
  LabFloatingIpModel,
  LabPortModel,
  LabSecurityGroupModel,
  LabSecurityGroupRuleModel,
  LabServerModel,
  LabStackModel,
} from '../../lib/lab/model';

export const NET = 'openstack_networking_network_v2.Net';
export const SUBNET = 'openstack_networking_subnet_v2.Subnet';
export const SUBNET_CIDR = '10.77.1.0/24';
export const GATEWAY = '10.77.1.1';
export const ROUTER = 'openstack_networking_router_v2.Router';
export const CLIENT_ADDRESS = '198.18.0.1';

/** A server with one port; `index` picks its address 10.77.1.(10+index) and MAC. */
export interface TestServer {
  readonly name: string;
  readonly index: number;
  readonly groups?: readonly string[];
  readonly pairs?: readonly LabAddressPairModel[];
  readonly portSecurity?: boolean;
}

export const portKey = (name: string): string => `openstack_networking_port_v2.${name}`;
export const serverKey = (name: string): string => `openstack_compute_instance_v2.${name}`;
export const groupKey = (name: string): string => `openstack_networking_secgroup_v2.${name}`;
export const addressOf = (index: number): string => `10.77.1.${10 + index}`;
export const macOf = (index: number): string => `fa:16:3e:00:00:${(0x10 + index).toString(16).padStart(2, '0')}`;

/** An ingress rule. */
export function ingress(key: string, r: Partial<LabSecurityGroupRuleModel>): LabSecurityGroupRuleModel {
  return { key: `openstack_networking_secgroup_rule_v2.${key}`, direction: 'ingress', ethertype: 'IPv4', ...r };
}

/** A security group with Neutron's default egress rules. */
export function group(name: string, rules: LabSecurityGroupRuleModel[], extra: Partial<LabSecurityGroupModel> = {}): LabSecurityGroupModel {
  return { key: groupKey(name), name, defaultEgress: true, stateful: true, rules, ...extra };
}

/** The whole model. */
export function stackModel(servers: readonly TestServer[], groups: readonly LabSecurityGroupModel[], fips: readonly { server: string; address: string }[] = []): LabStackModel {
  const ports: LabPortModel[] = servers.map((s) => ({
    key: portKey(s.name),
    name: `${s.name}-port`,
    networkKey: NET,
    fixedIps: [{ subnetKey: SUBNET, ipAddress: addressOf(s.index) }],
    macAddress: macOf(s.index),
    portSecurity: s.portSecurity ?? true,
    securityGroupKeys: s.portSecurity === false ? [] : (s.groups ?? []).map(groupKey),
    allowedAddressPairs: s.pairs ?? [],
    owner: { kind: 'server', serverKey: serverKey(s.name) },
  }));
  const labServers: LabServerModel[] = servers.map((s) => ({ key: serverKey(s.name), name: s.name, portKeys: [portKey(s.name)], userData: '' }));
  const floatingIps: LabFloatingIpModel[] = fips.map((f) => {
    const s = servers.find((x) => x.name === f.server);
    if (!s) throw new Error(`no server ${f.server}`);
    return { key: `openstack_networking_floatingip_v2.${f.server}`, address: f.address, portKey: portKey(f.server), fixedIp: addressOf(s.index), routerKey: ROUTER };
  });
  return {
    stackName: 'lab-test',
    networks: [{ key: NET, name: 'net', subnetKeys: [SUBNET] }],
    subnets: [{ key: SUBNET, networkKey: NET, cidr: SUBNET_CIDR, gatewayIp: GATEWAY }],
    routers: [{ key: ROUTER, name: 'router', externalGateway: true, enableSnat: true, interfaces: [{ key: 'openstack_networking_router_interface_v2.R', subnetKey: SUBNET, ipAddress: GATEWAY }] }],
    securityGroups: groups,
    ports,
    servers: labServers,
    floatingIps,
    loadBalancers: [],
    external: { cidr: '198.18.0.0/24', clientAddress: CLIENT_ADDRESS },
    variables: {},
    unrealised: [],
  };
}
