/**
 * Reads a synthesized stack (`cdktf.out/stacks/<stack>/cdk.tf.json`) into the lab's model
 * ({@link LabStackModel}): what `terraform apply` would create with the variables' defaults (and
 * generated test values for the required ones), with every expression evaluated and every reference
 * resolved to a Terraform address. Pure apart from reading the file and `openssl` for test
 * certificates.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { cidrContains, ipv4ToNumber } from './ipv4-util';
import {
  LabAddressPairModel,
  LabFloatingIpModel,
  LabL7PolicyModel,
  LabL7RuleModel,
  LabListenerModel,
  LabLoadBalancerModel,
  LabMemberModel,
  LabMonitorModel,
  LabNetworkModel,
  LabPoolModel,
  LabPortModel,
  LabPortOwner,
  LabRouterModel,
  LabSecurityGroupModel,
  LabSecurityGroupRuleModel,
  LabServerModel,
  LabStackModel,
  LabSubnetModel,
  LabUnrealised,
} from './model';
import {
  applySteps,
  EvaluationScope,
  evaluateTemplate,
  evaluateValue,
  LabEvaluationError,
  ResourceReference,
  TerraformValue,
} from './terraform-expressions';
import { generateTestVariables, seededBytes, selfSignedCertificate, testPassword } from './test-variables';

/** Options of {@link readStackModel} and {@link buildStackModel}. */
export interface StackModelOptions {
  /** Values of variables, instead of their defaults or generated test values. @default - defaults, then generated values */
  readonly variables?: Readonly<Record<string, unknown>>;
  /** Seed of the generated test values. @default 1 */
  readonly seed?: number;
}

/** The lab's external network: the internet client, router gateways and floating IPs live here. */
export const LAB_EXTERNAL_CIDR = '198.18.0.0/24';
/** The internet client's address on the external network. */
export const LAB_CLIENT_ADDRESS = '198.18.0.2';
/** First address given to router gateways (then up). */
const ROUTER_GATEWAY_FIRST = 3;
/** First address given to floating IPs (then up). */
const FLOATING_IP_FIRST = 100;
/** Stand-in NFS server of Manila export locations (TEST-NET-2, never routed). */
const SHARE_EXPORT_HOST = '198.51.100.1';

/** Reads `<stackDir>/cdk.tf.json` and builds its model; the stack name is the directory's name. */
export function readStackModel(stackDir: string, options: StackModelOptions = {}): LabStackModel {
  const doc = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8')) as object;
  return buildStackModel(doc, basename(stackDir), options);
}

/** Builds the model of a parsed Terraform JSON document (`stack.toTerraform()` or a `cdk.tf.json`). */
export function buildStackModel(doc: object, stackName: string, options: StackModelOptions = {}): LabStackModel {
  return new StackModelBuilder(doc as Record<string, unknown>, stackName, options).build();
}

/** One instance of a resource (one per count index that exists). */
interface Instance {
  readonly type: string;
  readonly name: string;
  /** `type.name` or `type.name[i]`. */
  readonly address: string;
  readonly index?: number;
  readonly body: Readonly<Record<string, unknown>>;
}

/** A resource block and its instances. */
interface ResourceGroup {
  readonly type: string;
  readonly name: string;
  readonly counted: boolean;
  readonly instances: readonly Instance[];
}

/** Why each resource type the lab does not build is left out (listed in `unrealised`). */
const UNREALISED_REASONS: Record<string, string> = {
  openstack_blockstorage_volume_v3: 'Cinder volumes are not realised: the lab runs each server from its image in a container, without block devices',
  openstack_blockstorage_volume_attach_v3: 'Cinder volumes are not realised by the lab',
  openstack_compute_volume_attach_v2: 'Cinder volumes are not realised by the lab',
  openstack_compute_servergroup_v2: 'server groups (anti-affinity) are not realised: every lab server runs on the one host',
  openstack_objectstorage_container_v1: 'Swift object storage is not realised by the lab',
  openstack_objectstorage_object_v1: 'Swift object storage is not realised by the lab',
  openstack_sharedfilesystem_share_v2: 'Manila is not realised by the lab; the kernel has no NFS client',
  openstack_sharedfilesystem_share_access_v2: 'Manila is not realised by the lab; the kernel has no NFS client',
  openstack_dns_zone_v2: 'Designate DNS is not realised by the lab',
  openstack_dns_recordset_v2: 'Designate DNS is not realised by the lab',
};

/**
 * Resource types the builder reads into the model (directly or through the resources that
 * reference them). A key pair is realised through its servers (`keyPairPublicKey`).
 */
const REALISED_TYPES = new Set([
  'openstack_networking_network_v2',
  'openstack_networking_subnet_v2',
  'openstack_networking_router_v2',
  'openstack_networking_router_interface_v2',
  'openstack_networking_secgroup_v2',
  'openstack_networking_secgroup_rule_v2',
  'openstack_networking_port_v2',
  'openstack_networking_floatingip_v2',
  'openstack_networking_floatingip_associate_v2',
  'openstack_compute_instance_v2',
  'openstack_compute_keypair_v2',
  'openstack_lb_loadbalancer_v2',
  'openstack_lb_listener_v2',
  'openstack_lb_pool_v2',
  'openstack_lb_member_v2',
  'openstack_lb_members_v2',
  'openstack_lb_monitor_v2',
  'openstack_lb_l7policy_v2',
  'openstack_lb_l7rule_v2',
]);

class StackModelBuilder {
  private readonly resources = new Map<string, ResourceGroup>();
  private readonly data: Record<string, Record<string, Record<string, unknown>>>;
  private readonly variables: Readonly<Record<string, TerraformValue>>;
  private readonly tlsContainers: Record<string, string>;
  private readonly declaredVariables: Record<string, Record<string, unknown>>;
  private readonly seed: number;
  /** Evaluated attributes by `address|attribute`; `undefined` while being evaluated (cycle guard). */
  private readonly evaluated = new Map<string, TerraformValue | undefined>();
  private readonly floatingAddresses = new Map<string, string>();
  private readonly routerGatewayAddresses = new Map<string, string>();
  private readonly sharesUsed = new Set<string>();

  constructor(
    private readonly doc: Record<string, unknown>,
    private readonly stackName: string,
    options: StackModelOptions,
  ) {
    this.seed = options.seed ?? 1;
    const generated = generateTestVariables(doc, { seed: this.seed, overrides: options.variables });
    this.variables = generated.values;
    this.tlsContainers = { ...generated.tlsContainers };
    this.declaredVariables = objectOf(doc.variable) as Record<string, Record<string, unknown>>;
    this.data = objectOf(doc.data) as Record<string, Record<string, Record<string, unknown>>>;
    this.checkVariableValidations();
    this.expandResources();
    this.allocateExternalAddresses();
  }

  public build(): LabStackModel {
    const subnets = this.subnets();
    const networks = this.networks(subnets);
    const routers = this.routers(subnets);
    const servers = this.servers();
    const loadBalancers = this.loadBalancers();
    const securityGroups = [...this.securityGroups(), ...loadBalancers.map((lb) => this.loadBalancerSecurityGroup(lb))];
    const planned = [...this.ports(subnets, servers, routers), ...loadBalancers.map((lb) => this.vipPort(lb, subnets))];
    const ports = [...planned, ...this.memberSubnetPorts(loadBalancers, subnets, planned)];
    const floatingIps = this.floatingIps(ports, routers);
    const unrealised = this.unrealised(floatingIps);
    return {
      stackName: this.stackName,
      networks,
      subnets,
      routers,
      securityGroups,
      ports,
      servers,
      floatingIps,
      loadBalancers,
      external: { cidr: LAB_EXTERNAL_CIDR, clientAddress: LAB_CLIENT_ADDRESS },
      variables: this.variables,
      unrealised,
    };
  }

  // ---- evaluation -------------------------------------------------------------------------

  /** Terraform checks each variable's `validation` blocks before planning; so does the lab. */
  private checkVariableValidations(): void {
    for (const [name, declaration] of Object.entries(this.declaredVariables)) {
      const validations = Array.isArray(declaration.validation) ? declaration.validation : [];
      validations.forEach((v: unknown, i: number) => {
        const block = objectOf(v);
        if (typeof block.condition !== 'string') return;
        const site = { address: `var.${name}`, path: `validation[${i}].condition` };
        const ok = evaluateTemplate(block.condition, this.scope(undefined), site);
        if (ok !== true && ok !== 'true') {
          throw new LabEvaluationError(site, block.condition.replace(/^\$\{|\}$/g, ''), `variable '${name}' = ${JSON.stringify(this.variables[name])} fails its validation: ${String(block.error_message ?? '')}`);
        }
      });
    }
  }

  /** Expands each resource block into its instances by evaluating `count`. */
  private expandResources(): void {
    for (const [type, byName] of Object.entries(objectOf(this.doc.resource))) {
      for (const [name, rawBody] of Object.entries(objectOf(byName))) {
        const body = objectOf(rawBody);
        if (body.for_each !== undefined) {
          throw new LabEvaluationError({ address: `${type}.${name}`, path: 'for_each' }, String(body.for_each), 'for_each is not supported by the lab');
        }
        if (body.count === undefined) {
          this.resources.set(`${type}.${name}`, { type, name, counted: false, instances: [{ type, name, address: `${type}.${name}`, body }] });
          continue;
        }
        const site = { address: `${type}.${name}`, path: 'count' };
        const count = evaluateValue(body.count, this.scope(undefined), site);
        if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
          throw new LabEvaluationError(site, JSON.stringify(body.count), `count must be a whole number of 0 or more, got ${JSON.stringify(count)}`);
        }
        const instances = Array.from({ length: count }, (_, i) => ({ type, name, address: `${type}.${name}[${i}]`, index: i, body }));
        this.resources.set(`${type}.${name}`, { type, name, counted: true, instances });
      }
    }
  }

  /** Floating IPs from .100 and router gateways from .3 of the external range, in document order. */
  private allocateExternalAddresses(): void {
    const base = ipv4ToNumber(LAB_EXTERNAL_CIDR.split('/')[0])!;
    this.instancesOf('openstack_networking_floatingip_v2').forEach((fip, i) => {
      if (FLOATING_IP_FIRST + i > 254) throw new Error(`${fip.address}: the lab's external range ${LAB_EXTERNAL_CIDR} has no floating IP address left`);
      this.floatingAddresses.set(fip.address, numberToIpv4(base + FLOATING_IP_FIRST + i));
    });
    let next = ROUTER_GATEWAY_FIRST;
    for (const router of this.instancesOf('openstack_networking_router_v2')) {
      if (this.attribute(router, 'external_network_id') === undefined && this.attribute(router, 'external_gateway') === undefined) continue;
      if (next >= FLOATING_IP_FIRST) throw new Error(`${router.address}: the lab's external range has no router gateway address left`);
      this.routerGatewayAddresses.set(router.address, numberToIpv4(base + next++));
    }
  }

  private scope(instance: Instance | undefined): EvaluationScope {
    return {
      countIndex: instance?.index,
      variable: (name) => {
        if (!Object.prototype.hasOwnProperty.call(this.variables, name)) throw new Error(`var.${name} is not declared`);
        return this.variables[name];
      },
      resource: (ref) => this.resolve(ref),
    };
  }

  /** The evaluated value of an attribute of an instance (undefined when the block does not set it). */
  private attribute(instance: Instance, attribute: string): TerraformValue | undefined {
    if (instance.body[attribute] === undefined) return undefined;
    const key = `${instance.address}|${attribute}`;
    if (this.evaluated.has(key)) {
      const v = this.evaluated.get(key);
      if (v === undefined) throw new Error(`${instance.address}.${attribute} refers to itself (a cycle)`);
      return v;
    }
    this.evaluated.set(key, undefined);
    try {
      const v = evaluateValue(instance.body[attribute], this.scope(instance), { address: instance.address, path: attribute });
      this.evaluated.set(key, v);
      return v;
    } catch (e) {
      this.evaluated.delete(key);
      throw e;
    }
  }

  /** What a reference to a resource or data source evaluates to in the lab. */
  private resolve(ref: ResourceReference): TerraformValue {
    const [first, ...rest] = ref.steps;
    const attribute = first.kind === 'attribute' ? first.name : '';
    if (ref.mode === 'data') {
      const body = this.data[ref.type]?.[ref.name];
      if (!body) throw new Error(`'${ref.text}' names a data source that is not declared`);
      const address = `data.${ref.type}.${ref.name}`;
      // Data sources stand for existing objects: the lab's external network, its image.
      if (attribute === 'id') return applySteps(address, rest, ref.text);
      if (body[attribute] !== undefined) {
        return applySteps(evaluateValue(body[attribute], this.scope(undefined), { address, path: attribute }), rest, ref.text);
      }
      throw new Error(`the lab does not know the attribute '${attribute}' of ${address}`);
    }
    const group = this.resources.get(`${ref.type}.${ref.name}`);
    if (!group) throw new Error(`'${ref.text}' names a resource that is not declared`);
    if (group.counted && ref.index === undefined) throw new Error(`'${ref.text}': ${ref.type}.${ref.name} has 'count', so a reference needs an index ([0])`);
    if (!group.counted && ref.index !== undefined) throw new Error(`'${ref.text}': ${ref.type}.${ref.name} has no 'count', so it cannot be indexed`);
    const instance = group.counted ? group.instances[ref.index!] : group.instances[0];
    if (!instance) throw new Error(`'${ref.text}': instance [${ref.index}] does not exist (count = ${group.instances.length})`);
    return applySteps(this.computedAttribute(instance, attribute, ref.text), rest, ref.text);
  }

  /** An attribute as Terraform knows it after apply, with the lab's stand-ins for computed ones. */
  private computedAttribute(instance: Instance, attribute: string, text: string): TerraformValue {
    if (attribute === 'id') return instance.address;
    if (instance.type === 'openstack_lb_loadbalancer_v2' && attribute === 'vip_port_id') {
      return this.attribute(instance, 'vip_port_id') ?? `${instance.address}#vip`;
    }
    if (instance.type === 'openstack_networking_floatingip_v2' && attribute === 'address') {
      return this.attribute(instance, 'address') ?? this.floatingAddresses.get(instance.address)!;
    }
    if (instance.type === 'openstack_sharedfilesystem_share_v2' && attribute === 'export_locations') {
      this.sharesUsed.add(instance.address);
      const name = this.attribute(instance, 'name') ?? instance.name;
      return [{ path: `${SHARE_EXPORT_HOST}:/lab-unrealised/${templateText(name)}`, preferred: true }];
    }
    if (instance.type === 'openstack_identity_application_credential_v3' && attribute === 'secret') {
      // Keystone generates the secret when none is given; the lab's is a test password.
      return this.attribute(instance, 'secret') ?? testPassword(this.seed, `app-credential:${instance.address}`);
    }
    const v = this.attribute(instance, attribute);
    if (v !== undefined) return v;
    if (attribute === 'region') return 'lab';
    throw new Error(`the lab does not know the computed attribute '${attribute}' of ${instance.address} (in '${text}')`);
  }

  private instancesOf(type: string): Instance[] {
    return [...this.resources.values()].filter((g) => g.type === type).flatMap((g) => g.instances);
  }

  private str(instance: Instance, attribute: string): string | undefined {
    const v = this.attribute(instance, attribute);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new LabEvaluationError({ address: instance.address, path: attribute }, JSON.stringify(instance.body[attribute]), `expected a string, got ${JSON.stringify(v)}`);
  }

  private num(instance: Instance, attribute: string): number | undefined {
    const v = this.attribute(instance, attribute);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
    throw new LabEvaluationError({ address: instance.address, path: attribute }, JSON.stringify(instance.body[attribute]), `expected a number, got ${JSON.stringify(v)}`);
  }

  private bool(instance: Instance, attribute: string): boolean | undefined {
    const v = this.attribute(instance, attribute);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'false') return v === 'true';
    throw new LabEvaluationError({ address: instance.address, path: attribute }, JSON.stringify(instance.body[attribute]), `expected a bool, got ${JSON.stringify(v)}`);
  }

  /** A nested block (`fixed_ip`, `persistence`): JSON may give it as an object or a list of objects. */
  private blocks(instance: Instance, attribute: string): Record<string, TerraformValue>[] {
    const v = this.attribute(instance, attribute);
    if (v === undefined || v === null) return [];
    const list = Array.isArray(v) ? v : [v];
    return list.map((b) => objectOf(b) as Record<string, TerraformValue>);
  }

  private required(instance: Instance, attribute: string): string {
    const v = this.str(instance, attribute);
    if (v === undefined) throw new LabEvaluationError({ address: instance.address, path: attribute }, attribute, `'${attribute}' is required by the lab but not set`);
    return v;
  }

  // ---- network ----------------------------------------------------------------------------

  private subnets(): LabSubnetModel[] {
    return this.instancesOf('openstack_networking_subnet_v2').map((s) => {
      const cidr = this.required(s, 'cidr');
      const gateway = this.attribute(s, 'gateway_ip');
      const noGateway = this.bool(s, 'no_gateway') === true || gateway === '';
      // Neutron defaults the gateway to the first host of the CIDR.
      const gatewayIp = noGateway ? undefined : typeof gateway === 'string' ? gateway : numberToIpv4(ipv4ToNumber(cidr.split('/')[0])! + 1);
      return { key: s.address, networkKey: this.required(s, 'network_id'), cidr, gatewayIp };
    });
  }

  private networks(subnets: readonly LabSubnetModel[]): LabNetworkModel[] {
    return this.instancesOf('openstack_networking_network_v2').map((n) => {
      const specs = objectOf(this.attribute(n, 'value_specs'));
      const vlan = specs['provider:segmentation_id'];
      const segment = specs['provider:network_type'] === 'vrack' && vlan !== undefined && vlan !== '' ? `vrack:${String(vlan)}` : undefined;
      return {
        key: n.address,
        name: this.str(n, 'name') ?? n.address,
        subnetKeys: subnets.filter((s) => s.networkKey === n.address).map((s) => s.key),
        ...(segment !== undefined ? { segment } : {}),
      };
    });
  }

  private routers(subnets: readonly LabSubnetModel[]): LabRouterModel[] {
    const interfaces = this.instancesOf('openstack_networking_router_interface_v2');
    return this.instancesOf('openstack_networking_router_v2').map((r) => ({
      key: r.address,
      name: this.str(r, 'name') ?? r.address,
      externalGateway: this.routerGatewayAddresses.has(r.address),
      enableSnat: this.bool(r, 'enable_snat') ?? true,
      externalAddress: this.routerGatewayAddresses.get(r.address),
      interfaces: interfaces
        .filter((i) => this.str(i, 'router_id') === r.address)
        .map((i) => {
          const subnetKey = this.str(i, 'subnet_id');
          if (subnetKey === undefined) {
            // An interface on a given port takes that port's address.
            const portKey = this.required(i, 'port_id');
            const port = this.instanceAt(portKey, i, 'port_id');
            const [fixed] = this.blocks(port, 'fixed_ip');
            if (!fixed || typeof fixed.ip_address !== 'string') {
              throw new LabEvaluationError({ address: i.address, path: 'port_id' }, portKey, 'the lab needs the port of a router interface to have a fixed ip_address');
            }
            return { key: i.address, subnetKey: String(fixed.subnet_id), ipAddress: fixed.ip_address };
          }
          const subnet = subnets.find((s) => s.key === subnetKey);
          if (!subnet) throw new LabEvaluationError({ address: i.address, path: 'subnet_id' }, subnetKey, 'not a subnet of the stack');
          if (!subnet.gatewayIp) throw new LabEvaluationError({ address: i.address, path: 'subnet_id' }, subnetKey, 'the subnet has no gateway_ip for the router to take');
          return { key: i.address, subnetKey, ipAddress: subnet.gatewayIp };
        }),
    }));
  }

  private instanceAt(address: string, from: Instance, path: string): Instance {
    const m = /^([^.]+)\.([^.[]+)(?:\[(\d+)\])?$/.exec(address);
    const group = m ? this.resources.get(`${m[1]}.${m[2]}`) : undefined;
    const instance = group?.instances.find((i) => i.address === address);
    if (!instance) throw new LabEvaluationError({ address: from.address, path }, address, 'does not name a resource instance of the stack');
    return instance;
  }

  private securityGroups(): LabSecurityGroupModel[] {
    const rules = this.instancesOf('openstack_networking_secgroup_rule_v2');
    const groups = this.instancesOf('openstack_networking_secgroup_v2');
    const groupKeys = new Set(groups.map((g) => g.address));
    for (const rule of rules) {
      const owner = this.required(rule, 'security_group_id');
      if (!groupKeys.has(owner)) throw new LabEvaluationError({ address: rule.address, path: 'security_group_id' }, owner, 'not a security group of the stack');
    }
    return groups.map((g) => ({
      key: g.address,
      name: this.str(g, 'name') ?? g.address,
      defaultEgress: this.bool(g, 'delete_default_rules') !== true,
      stateful: this.bool(g, 'stateful') ?? true,
      rules: rules.filter((r) => this.str(r, 'security_group_id') === g.address).map((r) => this.rule(r, groupKeys)),
    }));
  }

  private rule(r: Instance, groupKeys: ReadonlySet<string>): LabSecurityGroupRuleModel {
    const direction = this.required(r, 'direction');
    if (direction !== 'ingress' && direction !== 'egress') throw new LabEvaluationError({ address: r.address, path: 'direction' }, direction, "must be 'ingress' or 'egress'");
    const ethertype = this.str(r, 'ethertype') ?? 'IPv4';
    if (ethertype !== 'IPv4' && ethertype !== 'IPv6') throw new LabEvaluationError({ address: r.address, path: 'ethertype' }, ethertype, "must be 'IPv4' or 'IPv6'");
    const protocol = this.str(r, 'protocol');
    const remoteGroupKey = this.str(r, 'remote_group_id');
    if (remoteGroupKey !== undefined && !groupKeys.has(remoteGroupKey)) {
      throw new LabEvaluationError({ address: r.address, path: 'remote_group_id' }, remoteGroupKey, 'not a security group of the stack');
    }
    return {
      key: r.address,
      direction,
      ethertype,
      protocol: protocol === '' || protocol === 'any' ? undefined : protocol,
      portRangeMin: this.num(r, 'port_range_min'),
      portRangeMax: this.num(r, 'port_range_max'),
      remoteIpPrefix: this.str(r, 'remote_ip_prefix') || undefined,
      remoteGroupKey,
      description: this.str(r, 'description'),
    };
  }

  private ports(subnets: readonly LabSubnetModel[], servers: readonly LabServerModel[], routers: readonly LabRouterModel[]): LabPortModel[] {
    const allocator = new AddressAllocator(subnets, this.instancesOf('openstack_networking_subnet_v2').map((s) => ({ key: s.address, pools: this.blocks(s, 'allocation_pool') })));
    const instances = this.instancesOf('openstack_networking_port_v2');
    // Addresses given explicitly are taken first, so an allocated one never collides with them.
    for (const p of instances) for (const f of this.blocks(p, 'fixed_ip')) if (typeof f.ip_address === 'string') allocator.take(String(f.subnet_id), f.ip_address);
    for (const lb of this.instancesOf('openstack_lb_loadbalancer_v2')) {
      const vip = this.str(lb, 'vip_address');
      const subnet = this.str(lb, 'vip_subnet_id');
      if (vip && subnet) allocator.take(subnet, vip);
    }
    for (const { subnetKey, address } of this.allocatedVips.values()) allocator.take(subnetKey, address);
    this.vipAllocator = allocator;
    const routerInterfacePorts = new Map<string, string>();
    for (const i of this.instancesOf('openstack_networking_router_interface_v2')) {
      const port = this.str(i, 'port_id');
      if (port) routerInterfacePorts.set(port, this.required(i, 'router_id'));
    }
    return instances.map((p) => {
      const networkKey = this.required(p, 'network_id');
      let fixedIps = this.blocks(p, 'fixed_ip').map((f, i) => {
        const subnetKey = typeof f.subnet_id === 'string' ? f.subnet_id : undefined;
        if (!subnetKey) throw new LabEvaluationError({ address: p.address, path: `fixed_ip[${i}].subnet_id` }, 'subnet_id', 'the lab needs the subnet of each fixed_ip');
        const ipAddress = typeof f.ip_address === 'string' && f.ip_address !== '' ? f.ip_address : allocator.allocate(subnetKey, p.address);
        return { subnetKey, ipAddress };
      });
      if (fixedIps.length === 0 && this.bool(p, 'no_fixed_ip') !== true) {
        // Neutron gives a port without fixed_ip an address on the network's first subnet.
        const subnet = subnets.find((s) => s.networkKey === networkKey);
        if (subnet) fixedIps = [{ subnetKey: subnet.key, ipAddress: allocator.allocate(subnet.key, p.address) }];
      }
      const server = servers.find((s) => s.portKeys.includes(p.address));
      const routerKey = routerInterfacePorts.get(p.address);
      const owner: LabPortOwner = server
        ? { kind: 'server', serverKey: server.key }
        : routerKey && routers.some((r) => r.key === routerKey)
          ? { kind: 'router', routerKey }
          : { kind: 'none' };
      const pairs: LabAddressPairModel[] = this.blocks(p, 'allowed_address_pairs').map((a, i) => {
        if (typeof a.ip_address !== 'string') throw new LabEvaluationError({ address: p.address, path: `allowed_address_pairs[${i}].ip_address` }, 'ip_address', 'must be a string');
        return typeof a.mac_address === 'string' && a.mac_address ? { ipAddress: a.ip_address, macAddress: a.mac_address } : { ipAddress: a.ip_address };
      });
      const sgs = this.attribute(p, 'security_group_ids');
      return {
        key: p.address,
        name: this.str(p, 'name') ?? '',
        networkKey,
        fixedIps,
        macAddress: this.str(p, 'mac_address') ?? this.macFor(p.address),
        portSecurity: this.bool(p, 'port_security_enabled') ?? true,
        securityGroupKeys: Array.isArray(sgs) ? sgs.map(String) : [],
        allowedAddressPairs: pairs,
        owner,
      };
    });
  }

  private vipAllocator?: AddressAllocator;
  private readonly macs = new Set<string>();

  /** `fa:16:3e:xx:xx:xx` (Neutron's prefix) from a hash of the key, unique in the stack. */
  private macFor(key: string): string {
    for (let attempt = 0; ; attempt++) {
      const h = createHash('sha256').update(attempt === 0 ? key : `${key}#${attempt}`).digest();
      const mac = `fa:16:3e:${[...h.subarray(0, 3)].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
      if (!this.macs.has(mac)) {
        this.macs.add(mac);
        return mac;
      }
    }
  }

  private floatingIps(ports: readonly LabPortModel[], routers: readonly LabRouterModel[]): LabFloatingIpModel[] {
    const byAddress = new Map<string, Instance>();
    for (const fip of this.instancesOf('openstack_networking_floatingip_v2')) byAddress.set(String(this.computedAttribute(fip, 'address', `${fip.address}.address`)), fip);
    const associations = new Map<string, { portKey: string; fixedIp?: string; site: Instance }>();
    for (const fip of this.instancesOf('openstack_networking_floatingip_v2')) {
      const portKey = this.str(fip, 'port_id');
      if (portKey) associations.set(fip.address, { portKey, fixedIp: this.str(fip, 'fixed_ip'), site: fip });
    }
    for (const a of this.instancesOf('openstack_networking_floatingip_associate_v2')) {
      const address = this.required(a, 'floating_ip');
      const fip = byAddress.get(address);
      if (!fip) throw new LabEvaluationError({ address: a.address, path: 'floating_ip' }, address, 'not the address of a floating IP of the stack');
      associations.set(fip.address, { portKey: this.required(a, 'port_id'), fixedIp: this.str(a, 'fixed_ip'), site: a });
    }
    const out: LabFloatingIpModel[] = [];
    for (const fip of this.instancesOf('openstack_networking_floatingip_v2')) {
      const association = associations.get(fip.address);
      if (!association) continue;
      const port = ports.find((p) => p.key === association.portKey);
      if (!port) throw new LabEvaluationError({ address: association.site.address, path: 'port_id' }, association.portKey, 'not a port of the stack');
      const fixed = association.fixedIp ? port.fixedIps.find((f) => f.ipAddress === association.fixedIp) : port.fixedIps[0];
      if (!fixed) throw new LabEvaluationError({ address: association.site.address, path: 'fixed_ip' }, association.fixedIp ?? '', `port ${port.key} has no such fixed address`);
      const router = routers.find((r) => r.externalGateway && r.interfaces.some((i) => i.subnetKey === fixed.subnetKey));
      if (!router) {
        throw new LabEvaluationError({ address: association.site.address, path: 'port_id' }, port.key, `no router with an external gateway has an interface on ${fixed.subnetKey}, so Neutron cannot associate the floating IP`);
      }
      out.push({ key: fip.address, address: String(this.computedAttribute(fip, 'address', fip.address)), portKey: port.key, fixedIp: fixed.ipAddress, routerKey: router.key });
    }
    return out;
  }

  // ---- compute ----------------------------------------------------------------------------

  private servers(): LabServerModel[] {
    const keyPairs = new Map(this.instancesOf('openstack_compute_keypair_v2').map((k) => [this.str(k, 'name') ?? k.address, k]));
    return this.instancesOf('openstack_compute_instance_v2').map((s) => {
      const networks = this.blocks(s, 'network');
      const portKeys = networks.map((n, i) => {
        if (typeof n.port !== 'string' || n.port === '') {
          throw new LabEvaluationError({ address: s.address, path: `network[${i}]` }, JSON.stringify(n), 'the lab only realises servers whose NICs are given ports (network[].port)');
        }
        return n.port;
      });
      const metadata = objectOf(this.attribute(s, 'metadata'));
      const path = metadata['hosting-stacks:path'];
      const keyPairName = this.str(s, 'key_pair');
      const keyPair = keyPairName !== undefined ? keyPairs.get(keyPairName) : undefined;
      return {
        key: s.address,
        name: this.str(s, 'name') ?? s.address,
        constructPath: typeof path === 'string' ? path : undefined,
        flavorName: this.str(s, 'flavor_name'),
        portKeys,
        userData: this.str(s, 'user_data') ?? '',
        // Nova's metadata is a map of strings: Terraform converts numbers and booleans.
        metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])),
        keyPairPublicKey: keyPair ? this.str(keyPair, 'public_key') : undefined,
        ignoreChanges: ignoreChangesOf(s.body),
      };
    });
  }

  // ---- Octavia ----------------------------------------------------------------------------

  private loadBalancers(): LabLoadBalancerModel[] {
    const listeners = this.instancesOf('openstack_lb_listener_v2');
    const pools = this.instancesOf('openstack_lb_pool_v2');
    return this.instancesOf('openstack_lb_loadbalancer_v2').map((lb) => {
      const vipSubnetKey = this.required(lb, 'vip_subnet_id');
      const given = this.str(lb, 'vip_port_id');
      const own = listeners.filter((l) => this.str(l, 'loadbalancer_id') === lb.address);
      const ownKeys = new Set(own.map((l) => l.address));
      const lbPools = pools.filter((p) => this.str(p, 'loadbalancer_id') === lb.address || ownKeys.has(this.str(p, 'listener_id') ?? ''));
      return {
        key: lb.address,
        name: this.str(lb, 'name') ?? lb.address,
        vipAddress: this.str(lb, 'vip_address') ?? this.allocateVip(lb, vipSubnetKey),
        vipSubnetKey,
        vipPortKey: given ?? `${lb.address}#vip`,
        listeners: own.map((l) => this.listener(l, lbPools)),
        pools: lbPools.map((p) => this.pool(p)),
      };
    });
  }

  /** VIP addresses Neutron would allocate for load balancers without `vip_address`, by load balancer. */
  private readonly allocatedVips = new Map<string, { readonly subnetKey: string; readonly address: string }>();

  private allocateVip(lb: Instance, subnetKey: string): string {
    let vip = this.allocatedVips.get(lb.address)?.address;
    if (!vip) {
      if (!this.vipAllocator) {
        const subnets = this.subnets();
        this.vipAllocator = new AddressAllocator(subnets, this.instancesOf('openstack_networking_subnet_v2').map((s) => ({ key: s.address, pools: this.blocks(s, 'allocation_pool') })));
      }
      vip = this.vipAllocator.allocate(subnetKey, lb.address);
      this.allocatedVips.set(lb.address, { subnetKey, address: vip });
    }
    return vip;
  }

  private listener(l: Instance, pools: readonly Instance[]): LabListenerModel {
    const headers = objectOf(this.attribute(l, 'insert_headers'));
    const tlsRef = this.str(l, 'default_tls_container_ref');
    const defaultPoolKey = this.str(l, 'default_pool_id') ?? pools.find((p) => this.str(p, 'listener_id') === l.address)?.address;
    const connectionLimit = this.num(l, 'connection_limit');
    const policies = this.instancesOf('openstack_lb_l7policy_v2').filter((p) => this.str(p, 'listener_id') === l.address);
    return {
      key: l.address,
      name: this.str(l, 'name'),
      protocol: this.required(l, 'protocol'),
      protocolPort: this.num(l, 'protocol_port') ?? requiredNumber(l, 'protocol_port'),
      connectionLimit: connectionLimit === -1 ? undefined : connectionLimit,
      insertHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)])),
      timeoutClientData: this.num(l, 'timeout_client_data'),
      timeoutMemberConnect: this.num(l, 'timeout_member_connect'),
      timeoutMemberData: this.num(l, 'timeout_member_data'),
      timeoutTcpInspect: this.num(l, 'timeout_tcp_inspect'),
      allowedCidrs: (Array.isArray(this.attribute(l, 'allowed_cidrs')) ? (this.attribute(l, 'allowed_cidrs') as TerraformValue[]) : []).map(String),
      defaultPoolKey,
      tlsPem: tlsRef !== undefined ? this.tlsPemFor(tlsRef) : undefined,
      l7Policies: policies
        .map((p, i) => this.l7Policy(p, i + 1))
        .sort((a, b) => a.position - b.position),
    };
  }

  /** The PEM the amphora would fetch from Barbican for a container reference (generated when the reference is not a generated variable's). */
  private tlsPemFor(ref: string): string {
    if (!this.tlsContainers[ref]) {
      const c = selfSignedCertificate('lab-tls-container.test', seededBytes(this.seed, `tls-ref:${ref}`, 32));
      this.tlsContainers[ref] = c.certificatePem + c.privateKeyPem;
    }
    return this.tlsContainers[ref];
  }

  private l7Policy(p: Instance, defaultPosition: number): LabL7PolicyModel {
    const rules: LabL7RuleModel[] = this.instancesOf('openstack_lb_l7rule_v2')
      .filter((r) => this.str(r, 'l7policy_id') === p.address)
      .map((r) => ({
        key: r.address,
        type: this.required(r, 'type'),
        compareType: this.required(r, 'compare_type'),
        value: this.required(r, 'value'),
        key2: this.str(r, 'key'),
        invert: this.bool(r, 'invert') ?? false,
      }));
    return {
      key: p.address,
      name: this.str(p, 'name'),
      action: this.required(p, 'action'),
      position: this.num(p, 'position') ?? defaultPosition,
      redirectUrl: this.str(p, 'redirect_url'),
      redirectPrefix: this.str(p, 'redirect_prefix'),
      redirectHttpCode: this.num(p, 'redirect_http_code'),
      redirectPoolKey: this.str(p, 'redirect_pool_id'),
      rules,
    };
  }

  private pool(p: Instance): LabPoolModel {
    const [persistence] = this.blocks(p, 'persistence');
    const members: LabMemberModel[] = this.instancesOf('openstack_lb_member_v2')
      .filter((m) => this.str(m, 'pool_id') === p.address)
      .map((m) => ({
        key: m.address,
        name: this.str(m, 'name'),
        address: this.required(m, 'address'),
        subnetKey: this.str(m, 'subnet_id'),
        protocolPort: this.num(m, 'protocol_port') ?? requiredNumber(m, 'protocol_port'),
        weight: this.num(m, 'weight') ?? 1,
        adminStateUp: this.bool(m, 'admin_state_up') ?? true,
        backup: this.bool(m, 'backup') ?? false,
      }));
    for (const set of this.instancesOf('openstack_lb_members_v2').filter((m) => this.str(m, 'pool_id') === p.address)) {
      this.blocks(set, 'member').forEach((m, i) => {
        members.push({
          key: `${set.address}#member[${i}]`,
          name: typeof m.name === 'string' ? m.name : undefined,
          address: String(m.address),
          subnetKey: typeof m.subnet_id === 'string' ? m.subnet_id : undefined,
          protocolPort: Number(m.protocol_port),
          weight: typeof m.weight === 'number' ? m.weight : 1,
          adminStateUp: m.admin_state_up !== false,
          backup: m.backup === true,
        });
      });
    }
    const monitorInstance = this.instancesOf('openstack_lb_monitor_v2').find((m) => this.str(m, 'pool_id') === p.address);
    return {
      key: p.address,
      name: this.str(p, 'name'),
      protocol: this.required(p, 'protocol'),
      lbMethod: this.required(p, 'lb_method'),
      persistence: persistence && typeof persistence.type === 'string'
        ? { type: persistence.type, cookieName: typeof persistence.cookie_name === 'string' ? persistence.cookie_name : undefined }
        : undefined,
      members,
      monitor: monitorInstance ? this.monitor(monitorInstance) : undefined,
    };
  }

  private monitor(m: Instance): LabMonitorModel {
    const type = this.required(m, 'type');
    const http = type === 'HTTP' || type === 'HTTPS';
    return {
      key: m.address,
      type,
      delay: this.num(m, 'delay') ?? requiredNumber(m, 'delay'),
      timeout: this.num(m, 'timeout') ?? requiredNumber(m, 'timeout'),
      maxRetries: this.num(m, 'max_retries') ?? requiredNumber(m, 'max_retries'),
      // Octavia's defaults when the provider leaves them out.
      maxRetriesDown: this.num(m, 'max_retries_down') ?? 3,
      httpMethod: this.str(m, 'http_method') ?? (http ? 'GET' : undefined),
      urlPath: this.str(m, 'url_path') ?? (http ? '/' : undefined),
      expectedCodes: this.str(m, 'expected_codes') ?? (http ? '200' : undefined),
    };
  }

  /**
   * The VIP port Octavia creates (`<lb>#vip`): owned by the load balancer, port security on, with
   * Octavia's VIP security group.
   */
  private vipPort(lb: LabLoadBalancerModel, subnets: readonly LabSubnetModel[]): LabPortModel {
    const subnet = subnets.find((s) => s.key === lb.vipSubnetKey);
    if (!subnet) throw new LabEvaluationError({ address: lb.key, path: 'vip_subnet_id' }, lb.vipSubnetKey, 'not a subnet of the stack');
    return {
      key: `${lb.key}#vip`,
      name: `octavia-lb-${lb.name}`,
      networkKey: subnet.networkKey,
      fixedIps: [{ subnetKey: subnet.key, ipAddress: lb.vipAddress }],
      macAddress: this.macFor(`${lb.key}#vip`),
      portSecurity: true,
      securityGroupKeys: [`${lb.key}#sg`],
      allowedAddressPairs: [],
      owner: { kind: 'loadbalancer', loadBalancerKey: lb.key },
    };
  }

  /**
   * The ports Octavia plugs into each member subnet other than the VIP's (`<lb>#member-port#<subnet>`):
   * owned by the load balancer, an address from the subnet's allocation pool (what the members see
   * as the source of requests and health checks), port security on with the VIP security group.
   */
  private memberSubnetPorts(loadBalancers: readonly LabLoadBalancerModel[], subnets: readonly LabSubnetModel[], ports: readonly LabPortModel[]): LabPortModel[] {
    const allocator = new AddressAllocator(subnets, this.instancesOf('openstack_networking_subnet_v2').map((s) => ({ key: s.address, pools: this.blocks(s, 'allocation_pool') })));
    for (const p of ports) for (const ip of p.fixedIps) allocator.take(ip.subnetKey, ip.ipAddress);
    for (const lb of loadBalancers) allocator.take(lb.vipSubnetKey, lb.vipAddress);
    return loadBalancers.flatMap((lb) => {
      const memberSubnets = [...new Set(lb.pools.flatMap((p) => p.members.map((m) => m.subnetKey)).filter((k): k is string => k !== undefined && k !== lb.vipSubnetKey))];
      return memberSubnets.map((subnetKey) => {
        const subnet = subnets.find((s) => s.key === subnetKey);
        if (!subnet) throw new LabEvaluationError({ address: lb.key, path: 'member.subnet_id' }, subnetKey, 'not a subnet of the stack');
        const key = `${lb.key}#member-port#${subnetKey}`;
        return {
          key,
          name: `octavia-lb-member-${lb.name}`,
          networkKey: subnet.networkKey,
          fixedIps: [{ subnetKey, ipAddress: allocator.allocate(subnetKey, key) }],
          macAddress: this.macFor(key),
          portSecurity: true,
          securityGroupKeys: [`${lb.key}#sg`],
          allowedAddressPairs: [],
          owner: { kind: 'loadbalancer' as const, loadBalancerKey: lb.key },
        };
      });
    });
  }

  /** Octavia's VIP security group (`<lb>#sg`): each listener's port open from its allowed_cidrs, or from anywhere. */
  private loadBalancerSecurityGroup(lb: LabLoadBalancerModel): LabSecurityGroupModel {
    const rules: LabSecurityGroupRuleModel[] = lb.listeners.flatMap((l) => {
      const protocol = l.protocol === 'UDP' ? 'udp' : l.protocol === 'SCTP' ? 'sctp' : 'tcp';
      const sources = l.allowedCidrs.length > 0 ? l.allowedCidrs : ['0.0.0.0/0'];
      return sources.map((cidr) => ({
        key: `${lb.key}#sg#${l.key}#${cidr}`,
        direction: 'ingress' as const,
        ethertype: cidr.includes(':') ? ('IPv6' as const) : ('IPv4' as const),
        protocol,
        portRangeMin: l.protocolPort,
        portRangeMax: l.protocolPort,
        remoteIpPrefix: cidr,
        description: `Octavia VIP: listener ${l.name ?? l.key}`,
      }));
    });
    return { key: `${lb.key}#sg`, name: `lb-${lb.name}`, defaultEgress: true, stateful: true, rules };
  }

  // ---- the rest ---------------------------------------------------------------------------

  /**
   * Resources with no place in the model, each with why. Ignored (no data-plane effect, not listed):
   * data sources (the lab has its own image and external network) and resources with count 0
   * (they do not exist).
   */
  private unrealised(floatingIps: readonly LabFloatingIpModel[]): LabUnrealised[] {
    const out: LabUnrealised[] = [];
    const associated = new Set(floatingIps.map((f) => f.key));
    for (const group of this.resources.values()) {
      for (const instance of group.instances) {
        const reason = UNREALISED_REASONS[group.type];
        if (reason) {
          out.push({ key: instance.address, reason });
        } else if (group.type === 'openstack_networking_floatingip_v2' && !associated.has(instance.address)) {
          out.push({ key: instance.address, reason: 'the floating IP is not associated with a port, so it carries no traffic' });
        } else if (!REALISED_TYPES.has(group.type)) {
          out.push({ key: instance.address, reason: `the lab does not realise ${group.type} resources` });
        }
      }
    }
    return out;
  }
}

/** Hands out free addresses of subnets (allocation pools first, as Neutron does). */
class AddressAllocator {
  private readonly used = new Map<string, Set<string>>();

  constructor(
    private readonly subnets: readonly LabSubnetModel[],
    private readonly pools: readonly { readonly key: string; readonly pools: readonly Record<string, TerraformValue>[] }[],
  ) {
    for (const s of subnets) {
      const used = new Set<string>();
      if (s.gatewayIp) used.add(s.gatewayIp);
      this.used.set(s.key, used);
    }
  }

  public take(subnetKey: string, address: string): void {
    this.used.get(subnetKey)?.add(address);
  }

  public allocate(subnetKey: string, forKey: string): string {
    const subnet = this.subnets.find((s) => s.key === subnetKey);
    if (!subnet) throw new Error(`${forKey}: ${subnetKey} is not a subnet of the stack`);
    const used = this.used.get(subnetKey)!;
    const [base, bits] = subnet.cidr.split('/');
    const first = ipv4ToNumber(base)!;
    const size = 2 ** (32 - Number(bits));
    const ranges = (this.pools.find((p) => p.key === subnetKey)?.pools ?? [])
      .filter((p) => typeof p.start === 'string' && typeof p.end === 'string')
      .map((p) => [ipv4ToNumber(p.start as string)!, ipv4ToNumber(p.end as string)!] as const);
    if (ranges.length === 0) ranges.push([first + 1, first + size - 2] as const);
    for (const [start, end] of ranges) {
      for (let n = start; n <= end; n++) {
        const a = numberToIpv4(n);
        if (!used.has(a) && cidrContains(subnet.cidr, a)) {
          used.add(a);
          return a;
        }
      }
    }
    throw new Error(`${forKey}: subnet ${subnetKey} (${subnet.cidr}) has no free address left`);
  }
}

function requiredNumber(instance: Instance, attribute: string): never {
  throw new LabEvaluationError({ address: instance.address, path: attribute }, attribute, `'${attribute}' is required by the lab but not set`);
}

function numberToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function templateText(v: TerraformValue): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** A resource's `lifecycle.ignore_changes`, as written (`user_data`, `metadata["key"]`). */
function ignoreChangesOf(body: Readonly<Record<string, unknown>>): string[] {
  const list = objectOf(body.lifecycle).ignore_changes;
  return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
}

function objectOf(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
