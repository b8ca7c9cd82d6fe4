import { KeepalivedConfigModel, LvsForwarding, LvsScheduler, renderKeepalivedConfig, VrrpState } from '../../lib/balancing/keepalived-config';
import { checkKeepalived } from '../support/daemons';

function model(overrides: Partial<KeepalivedConfigModel> = {}): KeepalivedConfigModel {
  return {
    routerId: 'lb-1',
    vrrpInstance: {
      name: 'VI_7',
      interface: 'eth0',
      state: VrrpState.BACKUP,
      priority: 150,
      virtualRouterId: 7,
      advertIntervalSeconds: 1,
      unicastSrcIp: '10.0.1.2',
      unicastPeers: ['10.0.1.3'],
      nopreempt: true,
      virtualIpAddresses: ['10.0.1.10/32'],
    },
    virtualServers: [{
      address: '10.0.1.10',
      port: 80,
      scheduler: LvsScheduler.WEIGHTED_ROUND_ROBIN,
      forwarding: LvsForwarding.DIRECT_ROUTING,
      delayLoopSeconds: 2,
      realServers: [
        { address: '10.0.1.20', port: 80, weight: 3, check: { kind: 'http', path: '/healthz', statusCode: 200, connectTimeoutSeconds: 2, retry: 2, delayBeforeRetrySeconds: 1 } },
        { address: '10.0.1.21', port: 80, weight: 1, check: { kind: 'tcp', connectTimeoutSeconds: 3, retry: 1, delayBeforeRetrySeconds: 2 } },
      ],
    }],
    ...overrides,
  };
}

/** The lines of the block that starts with `header {`, up to its closing brace at the same indent. */
function block(config: string, header: string): string[] {
  const lines = config.split('\n');
  const start = lines.findIndex((l) => l.trim() === `${header} {`);
  if (start < 0) throw new Error(`no block '${header}'`);
  const indent = lines[start].length - lines[start].trimStart().length;
  const end = lines.findIndex((l, i) => i > start && l.trim() === '}' && l.length - l.trimStart().length === indent);
  return lines.slice(start + 1, end).map((l) => l.trim());
}

describe('renderKeepalivedConfig', () => {
  test('given a VRRP instance, when rendered, then unicast, router id, priority, advert and nopreempt are set', () => {
    const vrrp = block(renderKeepalivedConfig(model()), 'vrrp_instance VI_7');
    expect(vrrp).toEqual(expect.arrayContaining([
      'state BACKUP', 'interface eth0', 'virtual_router_id 7', 'priority 150', 'advert_int 1', 'nopreempt', 'unicast_src_ip 10.0.1.2', '10.0.1.3', '10.0.1.10/32 dev eth0',
    ]));
  });

  test('given preemption, when rendered, then there is no nopreempt line', () => {
    const config = renderKeepalivedConfig(model({ vrrpInstance: { ...model().vrrpInstance, nopreempt: false, state: VrrpState.MASTER } }));
    expect(config).not.toMatch(/nopreempt/);
    expect(config).toMatch(/state MASTER/);
  });

  test('given an HTTP and a TCP real server, when rendered, then each has its own checker with retry and delays', () => {
    const config = renderKeepalivedConfig(model());
    const vs = block(config, 'virtual_server 10.0.1.10 80');
    expect(vs).toEqual(expect.arrayContaining(['lvs_sched wrr', 'lvs_method DR', 'protocol TCP', 'delay_loop 2']));
    const http = block(config, 'real_server 10.0.1.20 80');
    expect(http).toEqual(expect.arrayContaining(['weight 3', 'HTTP_GET {', 'path /healthz', 'status_code 200', 'connect_timeout 2', 'retry 2', 'delay_before_retry 1']));
    const tcp = block(config, 'real_server 10.0.1.21 80');
    expect(tcp).toEqual(expect.arrayContaining(['weight 1', 'TCP_CHECK {', 'connect_timeout 3', 'retry 1', 'delay_before_retry 2']));
    expect(tcp).not.toContain('HTTP_GET {');
  });

  test('given the model, when checked by keepalived -t in a namespace with eth0, then it passes', () => {
    const r = checkKeepalived(renderKeepalivedConfig(model()), ['eth0']);
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  test('given an interface the host lacks, when checked by keepalived -t, then it fails (the check is real)', () => {
    const r = checkKeepalived(renderKeepalivedConfig(model({ vrrpInstance: { ...model().vrrpInstance, interface: 'ens3' } })), ['eth0']);
    expect(r.ok).toBe(false);
  });

  test('given a NAT service with fractional timers, when checked by keepalived -t, then it passes', () => {
    const base = model();
    const r = checkKeepalived(renderKeepalivedConfig(model({
      vrrpInstance: { ...base.vrrpInstance, advertIntervalSeconds: 0.3 },
      virtualServers: [{ ...base.virtualServers[0], forwarding: LvsForwarding.NAT, scheduler: LvsScheduler.LEAST_CONNECTION, delayLoopSeconds: 0.5 }],
    })), ['eth0']);
    expect(r.ok).toBe(true);
  });
});
