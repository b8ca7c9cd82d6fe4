import { HostingStacksError, HostingStacksToolError } from '../../lib';
import { CommandError } from '../../lib/lab/host-util';
import { LabApplyError } from '../../lib/lab/lab-apply';
import { LabEvaluationError } from '../../lib/lab/terraform-expressions';
import { RolloutError } from '../../lib/rollout/rollout';

describe('one error class', () => {
  test.each([
    ['RolloutError', () => new RolloutError('no rollout.json in cdktf.out/stacks/md'), 'hosting-stacks-rollout', 'no rollout.json in cdktf.out/stacks/md'],
    ['LabEvaluationError', () => new LabEvaluationError({ address: 'openstack_compute_instance_v2.web', path: 'user_data' }, 'upper(var.x)', 'upper() is not supported'), 'openstack_compute_instance_v2.web',
      'openstack_compute_instance_v2.web: user_data: cannot evaluate ${upper(var.x)}: upper() is not supported'],
    ['LabApplyError', () => new LabApplyError(['flavor of web-1']), 'lab apply', 'the lab applies count changes only'],
    ['CommandError', () => new CommandError(['ip', 'link'], { code: 1, signal: null, stdout: '', stderr: 'RTNETLINK answers: Operation not permitted\n' }), 'command', 'command failed (exit 1): ip link'],
  ])('given a %s, then it is a HostingStacksError whose message is its own', (name, make, where, message) => {
    const e = make();
    expect(e).toBeInstanceOf(HostingStacksError);
    expect(e).toBeInstanceOf(HostingStacksToolError);
    expect(e.name).toBe(name);
    expect(e.constructPath).toBe(where);
    expect(e.message.startsWith(message)).toBe(true);
  });
});
