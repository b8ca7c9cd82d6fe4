/**
 * The boot script that finds a server's interface from its fixed address: the interface name is
 * never assumed (ens3 on OVHcloud's Debian 12 image, eth0 elsewhere).
 */
import { renderNicScript, renderNicUnit } from '../../lib/renderers';
import { run, scratch, withNetns } from '../support/daemons';

describe('hosting-stacks-nic', () => {
  const script = renderNicScript({ address: '10.0.1.2', before: ['keepalived.service'] });

  test('given a model, when rendered, then the unit runs the script once before the units that need the name', () => {
    const unit = renderNicUnit({ address: '10.0.1.2', before: ['keepalived.service'] });
    expect(unit).toMatch(/^Type=oneshot$/m);
    expect(unit).toMatch(/^Before=keepalived\.service$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/sbin\/hosting-stacks-nic$/m);
    expect(run(['sh', '-n', '-c', script]).ok).toBe(true);
  });

  test.each(['ens3', 'enp0s3', 'eth0'])('given the address on %s, when the script runs, then it writes that name for keepalived', (nic) => {
    const s = scratch('nic');
    try {
      const file = s.write('hosting-stacks-nic', script);
      withNetns([nic], (ns) => {
        expect(run(['ip', '-n', ns, 'addr', 'add', '10.0.1.2/24', 'dev', nic]).ok).toBe(true);
        // A private /run for the script (ip netns exec gives the command its own mount namespace).
        const r = run(['ip', 'netns', 'exec', ns, 'sh', '-c', `mount -t tmpfs none /run && sh ${file} && cat /run/hosting-stacks/nic /run/hosting-stacks/keepalived-nic.conf`]);
        expect(r.output).toContain(`10.0.1.2 is on ${nic}`);
        expect(r.output).toContain(`${nic}\n$NIC=${nic}\n`);
        expect(r.ok).toBe(true);
      });
    } finally {
      s.cleanup();
    }
  });
});
