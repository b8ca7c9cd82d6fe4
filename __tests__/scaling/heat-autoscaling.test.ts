import { TerraformStack, Testing } from 'cdktf';
import { AppTier } from '../../lib/app/app-tier';
import { ServerCluster } from '../../lib/compute/server-cluster';
import { WebTier } from '../../lib/web/web-tier';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { OctaviaBalancer } from '../../lib/balancing/octavia-balancer';
import { Flavor, sizingFromGhz } from '../../lib/compute/flavor';
import { ExternalNetwork } from '../../lib/network/external-network';
import { PrivateVSwitch } from '../../lib/network/private-vswitch';
import { HeatAutoscaling } from '../../lib/scaling/heat-autoscaling';
import {
  cpuThresholdNanoseconds, evaluationPeriods, GNOCCHI_GRANULARITY_SECONDS, heatCpuAlarms, renderHeatMemberTemplate, renderHeatTemplate,
} from '../../lib/scaling/heat-template';
import { HostingApp, HostingStack } from '../../lib/stack/hosting-stack';
import { checkProviderSchema, loadOpenstackProviderSchema } from '../../lib/validation/provider-schema-check';
import { checkTerraformTemplates } from '../../lib/validation/terraform-template-check';
import { resourcesOf, synthJson, tierOf } from '../support/synth';
import { CPU_RULE, fakeRules, realisationStack, RPS_RULE } from './realisation-fixtures';

// 2 web servers 2 GHz, 2 GB RAM, 40 GB disk (case study 2)
const WEB_SIZING = sizingFromGhz(2, 2, 40);

describe('heat templates (pure)', () => {
  const model = {
    tier: 'shop/Web',
    description: 'Reactive scaling of shop/Web',
    memberTemplate: 'heat/shop-scaling-member.yaml',
    minSize: 0,
    maxSize: 4,
    desiredCapacity: 0,
    scaleOut: { adjustment: 1, cooldownSeconds: 600 },
    scaleIn: { adjustment: 1, cooldownSeconds: 1800 },
    alarms: heatCpuAlarms('shop/Web', CPU_RULE, 2),
    withPool: true,
  };

  test('the CPU threshold is the utilisation in nanoseconds of CPU time per aggregate of all vCPUs', () => {
    // 70 % of 2 vCPUs over 300 s = 420 s of CPU time.
    expect(cpuThresholdNanoseconds(0.7, 2, 300)).toBe(420e9);
    expect(evaluationPeriods(3, 300)).toBe(1);
    expect(evaluationPeriods(30, 300)).toBe(6);
    expect(evaluationPeriods(0, 300)).toBe(1);
    expect(GNOCCHI_GRANULARITY_SECONDS).toBe(300);
  });

  test('the stack template has a group, two change-in-capacity policies and two Gnocchi alarms that signal them', () => {
    const doc = parse(renderHeatTemplate(model));
    expect(doc.heat_template_version).toBe('2018-08-31');
    expect(Object.keys(doc.resources)).toEqual(['group', 'scale_out_policy', 'scale_in_policy', 'cpu_alarm_high', 'cpu_alarm_low']);
    const group = doc.resources.group;
    expect(group.type).toBe('OS::Heat::AutoScalingGroup');
    expect(group.properties).toMatchObject({ min_size: 0, max_size: 4, desired_capacity: 0 });
    expect(group.properties.resource.type).toBe('heat/shop-scaling-member.yaml');
    expect(group.properties.resource.properties).toMatchObject({
      image: { get_param: 'image' }, flavor: { get_param: 'flavor' }, security_group: { get_param: 'security_group' }, user_data: { get_param: 'user_data' },
      metadata: { 'metering.server_group': { get_param: 'OS::stack_id' } }, pool_id: { get_param: 'pool_id' }, member_port: { get_param: 'member_port' },
    });
    expect(doc.resources.scale_out_policy).toEqual({ type: 'OS::Heat::ScalingPolicy', properties: { adjustment_type: 'change_in_capacity', auto_scaling_group_id: { get_resource: 'group' }, scaling_adjustment: 1, cooldown: 600 } });
    expect(doc.resources.scale_in_policy.properties).toMatchObject({ scaling_adjustment: -1, cooldown: 1800 });
    const high = doc.resources.cpu_alarm_high;
    expect(high.type).toBe('OS::Aodh::GnocchiAggregationByResourcesAlarm');
    expect(high.properties).toMatchObject({
      metric: 'cpu', aggregation_method: 'rate:mean', granularity: 300, evaluation_periods: 1, threshold: 420e9, comparison_operator: 'gt', resource_type: 'instance',
      alarm_actions: [{ str_replace: { template: 'trust+url', params: { url: { get_attr: ['scale_out_policy', 'signal_url'] } } } }],
    });
    expect(JSON.parse(high.properties.query.str_replace.template)).toEqual({ and: [{ '=': { server_group: 'stack_id' } }, { '=': { ended_at: null } }] });
    expect(high.properties.query.str_replace.params).toEqual({ stack_id: { get_param: 'OS::stack_id' } });
    expect(doc.resources.cpu_alarm_low.properties).toMatchObject({ threshold: 180e9, evaluation_periods: 6, comparison_operator: 'lt', alarm_actions: [{ str_replace: { template: 'trust+url', params: { url: { get_attr: ['scale_in_policy', 'signal_url'] } } } }] });
    expect(Object.keys(doc.parameters)).toEqual(['image', 'flavor', 'key_name', 'network', 'subnet', 'security_group', 'server_group', 'volume_size', 'user_data', 'pool_id', 'member_port']);
    expect(doc.parameters.user_data).toMatchObject({ type: 'string', hidden: true });
    expect(doc.outputs.current_size.value).toEqual({ get_attr: ['group', 'current_size'] });
  });

  test('without a pool, the group passes no pool parameters', () => {
    const doc = parse(renderHeatTemplate({ ...model, withPool: false }));
    expect(doc.parameters.pool_id).toBeUndefined();
    expect(doc.resources.group.properties.resource.properties.pool_id).toBeUndefined();
  });

  test('the member is a port with a DHCP address in the security group, a volume-booted server with raw user data and, with a pool, its Octavia member', () => {
    const doc = parse(renderHeatMemberTemplate({ tier: 'shop/Web', description: 'One member', withPool: true }));
    expect(doc.heat_template_version).toBe('2018-08-31');
    expect(doc.resources.port).toEqual({ type: 'OS::Neutron::Port', properties: { network: { get_param: 'network' }, fixed_ips: [{ subnet: { get_param: 'subnet' } }], security_groups: [{ get_param: 'security_group' }] } });
    expect(doc.resources.server.type).toBe('OS::Nova::Server');
    expect(doc.resources.server.properties).toMatchObject({
      block_device_mapping_v2: [{ image: { get_param: 'image' }, volume_size: { get_param: 'volume_size' }, boot_index: 0, delete_on_termination: true }],
      networks: [{ port: { get_resource: 'port' } }], scheduler_hints: { group: { get_param: 'server_group' } }, user_data_format: 'RAW', metadata: { get_param: 'metadata' },
    });
    expect(doc.resources.pool_member).toEqual({
      type: 'OS::Octavia::PoolMember',
      properties: { pool: { get_param: 'pool_id' }, address: { get_attr: ['port', 'fixed_ips', 0, 'ip_address'] }, protocol_port: { get_param: 'member_port' }, subnet: { get_param: 'subnet' } },
    });
    expect(parse(renderHeatMemberTemplate({ tier: 'shop/Web', description: 'One member', withPool: false })).resources.pool_member).toBeUndefined();
  });

  test('the group template parameters cover every member parameter the group passes', () => {
    const stackDoc = parse(renderHeatTemplate(model));
    const memberDoc = parse(renderHeatMemberTemplate({ tier: 'shop/Web', description: 'One member', withPool: true }));
    expect(Object.keys(stackDoc.resources.group.properties.resource.properties).sort()).toEqual(Object.keys(memberDoc.parameters).sort());
  });

  test('rejects a member template that is not a relative .yaml path', () => {
    expect(() => renderHeatTemplate({ ...model, memberTemplate: 'member.yml' })).toThrow(/'memberTemplate' \('member.yml'\) must be a relative path ending in '.yaml'/);
  });
});

/** A DMZ with an Octavia entry in front of a scalable web tier (2 .. 6) on the access vSwitch. */
function heatStack(withPool = true, reactive = [CPU_RULE]) {
  const f = realisationStack();
  const dmz = new PrivateVSwitch(f.stack, 'Dmz', { cidr: '10.0.9.0/24', externalNetwork: ExternalNetwork.ovh() });
  const access = new PrivateVSwitch(f.stack, 'Access', { cidr: '10.0.2.0/24', router: dmz.router });
  const app = f.app;
  const front = new WebTier(f.stack, 'Front', { vswitch: access, count: 2, minCount: 2, maxCount: 6, flavor: Flavor.fromSizing(WEB_SIZING), upstream: app });
  const lb = new OctaviaBalancer(f.stack, 'Lb', { vswitch: dmz });
  const target = lb.addTarget(front, { port: 80 });
  const rules = fakeRules(front, 'shop/Front', reactive);
  const heat = new HeatAutoscaling(f.stack, 'Scaling', { rules, pool: withPool ? target : undefined });
  return { ...f, front, lb, target, rules, heat };
}

describe('HeatAutoscaling', () => {
  test('given a scalable tier behind Octavia, when synthesized, then the Heat stack gets the template and the tier as parameters', () => {
    const { stack, heat, front, target } = heatStack();
    const json = synthJson(stack);
    const [res] = resourcesOf(json, 'openstack_orchestration_stack_v1');
    expect(res.name).toBe('shop-scaling');
    expect(res.timeout).toBe(60);
    expect(res.disable_rollback).toBe(false);
    expect(res.parameters).toMatchObject({
      flavor: front.cluster.flavor.name,
      volume_size: '40',
      member_port: '80',
    });
    expect(res.parameters.image).toMatch(/^\$\{data\.openstack_images_image_v2\.Image-Debian_12\.id\}$/);
    expect(res.parameters.security_group).toMatch(/^\$\{openstack_networking_secgroup_v2\.Front_Servers_Connections_[0-9A-F]+\.id\}$/);
    expect(res.parameters.network).toMatch(/^\$\{openstack_networking_network_v2\.Access_[0-9A-F]+\.id\}$/);
    expect(res.parameters.subnet).toMatch(/^\$\{openstack_networking_subnet_v2\.Access_Subnet_[0-9A-F]+\.id\}$/);
    expect(res.parameters.server_group).toMatch(/^\$\{openstack_compute_servergroup_v2\.Front_Servers_ServerGroup_[0-9A-F]+\.id\}$/);
    expect(res.parameters.pool_id).toMatch(/^\$\{openstack_lb_pool_v2\.Lb_Pool_[0-9A-F]+\.id\}$/);
    expect(res.parameters.key_name).toMatch(/^\$\{openstack_compute_keypair_v2\.KeyPair_[0-9A-F]+\.name\}$/);
    const template = parse(res.template_opts.Bin);
    expect(template.resources.group.properties).toMatchObject({ min_size: 0, max_size: 4, desired_capacity: 0 });
    expect(template.resources.group.properties.resource.type).toBe(heat.memberTemplatePath);
    expect(heat.memberTemplatePath).toBe('heat/shop-scaling-member.yaml');
    // 70 % of the front-ends' vCPUs over 300 s.
    expect(template.resources.cpu_alarm_high.properties.threshold).toBe(0.7 * front.cluster.flavor.vcpus * 300e9);
    expect(heat.node.defaultChild).toBe(heat.resource);
    expect(heat.pool).toBe(target);
  });

  test("the members' user data is the tier's cloud-config without the first host's name, escaped for Terraform", () => {
    const { stack, heat, front } = heatStack();
    const [res] = resourcesOf(synthJson(stack), 'openstack_orchestration_stack_v1');
    const userData = res.parameters.user_data as string;
    // Apache's `%{REQUEST_SCHEME}` reaches the host as written: Terraform reads `%%{` as `%{`.
    expect(userData).toContain('%%{REQUEST_SCHEME}');
    const doc = parse(userData.replace(/%%\{/g, '%{').replace(/\$\$\{/g, '${'));
    expect(doc.hostname).toBeUndefined();
    expect(doc.fqdn).toBeUndefined();
    const own = parse(front.cluster.instances[0].cloudConfig.renderWithinLimit());
    expect(doc.write_files).toEqual(own.write_files);
    expect(doc.packages).toEqual(own.packages);
    expect(heat.memberCloudConfig().startsWith('#cloud-config\n')).toBe(true);
  });

  test('the Terraform conforms to the provider schema and its strings are valid templates', () => {
    const { stack } = heatStack();
    const json = synthJson(stack);
    expect(checkProviderSchema(json, loadOpenstackProviderSchema())).toEqual([]);
    expect(checkTerraformTemplates(json)).toEqual([]);
  });

  test('synth writes the member template next to the Terraform, where the provider sends it as a child template', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'hs-heat-'));
    try {
      const app = new HostingApp({ outdir });
      const stack = new HostingStack(app, 'shop');
      const access = new PrivateVSwitch(stack, 'Access', { cidr: '10.0.2.0/24' });
      const appTier = new AppTier(stack, 'App', { vswitch: access, count: 2, flavor: Flavor.named('b3-8') });
      const front = new WebTier(stack, 'Front', { vswitch: access, count: 2, minCount: 2, maxCount: 4, flavor: Flavor.fromSizing(WEB_SIZING), upstream: appTier });
      const heat = new HeatAutoscaling(stack, 'Scaling', { rules: fakeRules(front, 'shop/Front', [CPU_RULE]) });
      app.synth();
      const member = parse(readFileSync(join(outdir, 'stacks', 'shop', heat.memberTemplatePath), 'utf8'));
      expect(Object.keys(member.resources)).toEqual(['port', 'server']);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('given no pool, then the members join none and the template has no pool parameters', () => {
    const { stack } = heatStack(false);
    const [res] = resourcesOf(synthJson(stack), 'openstack_orchestration_stack_v1');
    expect(res.parameters.pool_id).toBeUndefined();
    expect(parse(res.template_opts.Bin).parameters.pool_id).toBeUndefined();
  });

  describe('errors', () => {
    test('at synth, refuses rules other than cpu and a plan without a cpu rule', () => {
      const { heat } = heatStack(true, [RPS_RULE]);
      expect(heat.node.validate()).toEqual([
        "shop/Scaling: 'rules.plan.reactive[0].metric' ('requests-per-second') has no Ceilometer metric; Heat and Aodh scale on cpu only (use ScalingEngine.TERRAFORM_SCHEDULE_AND_PROMETHEUS)",
        "shop/Scaling: 'rules.plan.reactive' has no cpu rule; Heat and Aodh scale on cpu only",
      ]);
      expect(() => heat.renderTemplate()).toThrow(/shop\/Scaling: 'rules' \('shop\/Front'\) has no cpu rule/);
    });

    test("at synth, refuses a tier whose cloud-config names its host's own planned address (Tomcat binds to it)", () => {
      const f = realisationStack();
      const heat = new HeatAutoscaling(f.stack, 'Scaling', { rules: fakeRules(f.app, 'shop/App', [CPU_RULE]) });
      expect(heat.node.validate()).toEqual([
        `shop/Scaling: 'rules.tier' (shop/App/Servers) names its host's own planned address ${f.app.cluster.instances[0].address} in /etc/tomcat10/server.xml; Heat members take DHCP addresses, so that config would not work on them`,
      ]);
    });

    test('at synth, refuses a plan whose maximum is the baseline', () => {
      const { stack, vswitch, app } = realisationStack();
      const web = new WebTier(stack, 'Edge', { vswitch, count: 3, minCount: 2, maxCount: 3, flavor: Flavor.fromSizing(WEB_SIZING), upstream: app });
      const heat = new HeatAutoscaling(stack, 'Scaling', { rules: fakeRules(web, 'shop/Edge', [CPU_RULE]) });
      expect(heat.node.validate()).toEqual(["shop/Scaling: 'rules.plan.maxCount' (3) must exceed the baseline (3): the group adds instances above it"]);
    });

    test('rejects a tier that does not scale, the pool of another tier, bad granularity and timeout, and a plain TerraformStack', () => {
      const { stack, front, lb, app } = heatStack();
      const fixed = fakeRules(front, 'shop/Front', [CPU_RULE]);
      const one = new ServerCluster(stack, 'One', { vswitch: front.cluster.vswitch, count: 1, flavor: Flavor.named('b3-8') });
      expect(() => new HeatAutoscaling(stack, 'H1', { rules: { tier: tierOf(one), plan: fixed.plan } })).toThrow(/shop\/H1: 'rules' \('shop\/One'\) does not scale/);
      const appTarget = { ...lb.target!, tier: app };
      expect(() => new HeatAutoscaling(stack, 'H2', { rules: fixed, pool: appTarget })).toThrow(/shop\/H2: 'pool' \('shop\/App\/Servers'\) must be the Octavia target of the scaled tier \(shop\/Front\/Servers\)/);
      expect(() => new HeatAutoscaling(stack, 'H3', { rules: fixed, granularitySeconds: 30 })).toThrow(/'granularitySeconds' \(30\) must be an integer from 60 to 86400/);
      expect(() => new HeatAutoscaling(stack, 'H4', { rules: fixed, timeoutMinutes: 1 })).toThrow(/'timeoutMinutes' \(1\) must be an integer from 5 to 1440/);
      const plain = new TerraformStack(Testing.app(), 'plain');
      const net = new PrivateVSwitch(plain, 'Net', { cidr: '10.0.1.0/24' });
      const c = new ServerCluster(plain, 'C', { vswitch: net, count: 1, maxCount: 2, flavor: Flavor.named('b3-8') });
      expect(() => new HeatAutoscaling(plain, 'H', { rules: fakeRules(tierOf(c), 'plain/C', [CPU_RULE]) })).toThrow(/plain\/H: 'scope' \('plain'\) must be in a HostingStack/);
    });
  });
});
