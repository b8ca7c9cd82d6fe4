import { ChildProcess, spawn } from 'node:child_process';
import { createServer, get as httpGet, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { PrivateVSwitch } from '../../lib/network/private-vswitch';
import { CentralMonitoring } from '../../lib/monitoring/central-monitoring';
import { renderPrometheusConfig } from '../../lib/monitoring/prometheus-files';
import { renderMonitoringRules } from '../../lib/monitoring/monitoring-rules';
import { requireBinary, scratch } from '../support/daemons';
import { testStack } from '../support/synth';

/**
 * Real prometheus and two real blackbox exporters on 127.0.0.1 (one per vantage point), probing a
 * tiny HTTP target this test starts and stops. The monitoring's own renders are used: the
 * blackbox modules as they are, and its blackbox job with each vantage point's exporter address
 * replaced by the loopback port of the exporter standing for it (the production render is not
 * changed); the scrape interval is 1 s so the test is quick.
 */

const free = (): Promise<number> => new Promise((resolve) => {
  const srv = createServer();
  srv.listen(0, '127.0.0.1', () => {
    const port = (srv.address() as AddressInfo).port;
    srv.close(() => resolve(port));
  });
});

const getJson = (url: string): Promise<any> => new Promise((resolve, reject) => {
  const req = httpGet(url, { agent: false, timeout: 3000 }, (res) => {
    let text = '';
    res.on('data', (d: Buffer) => (text += d.toString()));
    res.on('end', () => {
      try {
        resolve(JSON.parse(text));
      } catch (e) {
        reject(e);
      }
    });
  });
  req.on('timeout', () => req.destroy(new Error(`${url} did not answer`)));
  req.on('error', reject);
});

/** probe_success by vantage, as Prometheus has it now. */
async function probeSuccess(promPort: number): Promise<Record<string, string>> {
  const r = await getJson(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent('probe_success{job="blackbox"}')}`).catch(() => undefined);
  const result: { metric: Record<string, string>; value: [number, string] }[] = r?.data?.result ?? [];
  return Object.fromEntries(result.map((s) => [s.metric.vantage, s.value[1]]));
}

async function waitFor(promPort: number, want: Record<string, string>, seconds: number): Promise<Record<string, string>> {
  let last: Record<string, string> = {};
  for (let i = 0; i < seconds * 4; i++) {
    last = await probeSuccess(promPort);
    if (JSON.stringify(last) === JSON.stringify(want)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  return last;
}

describe('CentralMonitoring, real daemons on 127.0.0.1', () => {
  const children: ChildProcess[] = [];
  let target: Server | undefined;
  const dir = scratch('central-daemons');

  afterAll(async () => {
    // Every daemon this test started is stopped by its PID and waited for, on failure too.
    await Promise.all(children.map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
      setTimeout(() => c.kill('SIGKILL'), 5000).unref();
    })));
    if (target?.listening) {
      target.closeAllConnections();
      await new Promise((r) => target!.close(r));
    }
    dir.cleanup();
  });

  const start = (argv: string[]): ChildProcess => {
    const child = spawn(argv[0], argv.slice(1), { stdio: 'ignore' });
    children.push(child);
    return child;
  };

  test('the rendered configs probe the target from both vantage points, and probe_success turns 0 when it stops', async () => {
    requireBinary('prometheus');
    requireBinary('prometheus-blackbox-exporter');
    target = createServer((req, res) => {
      res.writeHead(req.url === '/health' ? 200 : 404, { 'Content-Type': 'text/plain', Connection: 'close' });
      res.end('ok\n');
    });
    await new Promise<void>((r) => target!.listen(0, '127.0.0.1', () => r()));
    const targetPort = (target.address() as AddressInfo).port;

    const stack = testStack('sentinelo');
    const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.3.0/24' });
    const monitoring = new CentralMonitoring(stack, 'Monitoring', { vswitch });
    monitoring.addProbe('Outside', { vswitch: new PrivateVSwitch(stack, 'Remote', { cidr: '10.0.4.0/24' }) });
    monitoring.addHttpCheck(`http://127.0.0.1:${targetPort}`, { name: 'home', path: '/health' });

    const [centralPort, outsidePort, promPort, noAlertmanager] = [await free(), await free(), await free(), await free()];
    const loopback: Record<string, string> = {
      [monitoring.vantagePoints[0].exporterAddress]: `127.0.0.1:${centralPort}`,
      [monitoring.vantagePoints[1].exporterAddress]: `127.0.0.1:${outsidePort}`,
    };
    const job = monitoring.blackboxJob();
    const rules = dir.write('monitoring-rules.yml', renderMonitoringRules());
    const config = renderPrometheusConfig({
      scrapeIntervalSeconds: 1,
      evaluationIntervalSeconds: 1,
      ruleFiles: [rules],
      // Nothing listens there: no alert fires within the test (they wait 2 minutes).
      alertmanagers: [`127.0.0.1:${noAlertmanager}`],
      jobs: [{ ...job, targets: job.targets.map((t) => ({ ...t, address: loopback[t.address] })) }],
    });
    expect(job.targets.map((t) => loopback[t.address])).toEqual([`127.0.0.1:${centralPort}`, `127.0.0.1:${outsidePort}`]);
    const blackbox = dir.write('blackbox.yml', monitoring.renderBlackbox());
    for (const port of [centralPort, outsidePort]) start(['prometheus-blackbox-exporter', `--config.file=${blackbox}`, `--web.listen-address=127.0.0.1:${port}`]);
    start(['prometheus', `--config.file=${dir.write('prometheus.yml', config)}`, `--storage.tsdb.path=${dir.dir}/data`, `--web.listen-address=127.0.0.1:${promPort}`]);

    expect(await waitFor(promPort, { central: '1', outside: '1' }, 30)).toEqual({ central: '1', outside: '1' });

    target.closeAllConnections();
    await new Promise((r) => target!.close(r));
    expect(await waitFor(promPort, { central: '0', outside: '0' }, 30)).toEqual({ central: '0', outside: '0' });
    // The daemons were running all along: none exited early.
    expect(children.map((c) => c.exitCode)).toEqual([null, null, null]);
  }, 90000);
});
