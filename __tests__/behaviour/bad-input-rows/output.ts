import { Aspects } from 'cdktf';
import { IConstruct } from 'constructs';
import { Flavor, HostingApp, HostingStack, ServerCluster } from '../../../lib';
import { BadInputRow, lvs, Phase, shop, tier } from '../bad-input-support';

/** A stack with nothing wrong, synthesized before the bad one: it must not be written either. */
function goodStackFirst(app: HostingApp): HostingStack {
  const front = new HostingStack(app, 'front');
  front.addArtifact('notes/README.txt', () => 'front');
  return front;
}

/** Runs `add` on `scope` once, at synth, as an aspect (what a policy or a tagging library does). */
function atSynth(scope: IConstruct, add: () => void): void {
  Aspects.of(scope).add({ visit: (node: IConstruct) => (node === scope ? add() : undefined) });
}

/**
 * Bad input of issue 10's class 'output': problems that appear only while the app is synthesized
 * (content an aspect adds, an artifact producer that fails). Each comes after a stack with nothing
 * wrong; the row passes only if neither stack writes a file.
 */
export const ROWS: readonly BadInputRow[] = [
  {
    kind: 'aspect adding a server whose host name is taken, in the second stack',
    phase: Phase.SYNTH,
    build: (app) => {
      goodStackFirst(app);
      const { stack, net } = shop(app);
      new ServerCluster(stack, 'Web', { vswitch: net, count: 1, flavor: Flavor.named('b3-8') });
      atSynth(stack, () => new ServerCluster(stack, 'Late', { vswitch: net, count: 1, flavor: Flavor.named('b3-8'), hostnamePrefix: 'web' }));
    },
    error: /^ {2}shop\/Late\/Instance1: 'hostname' \('web-1'\) is also used by shop\/Web\/Instance1; host names must be unique in a stack/m,
  },
  {
    kind: 'aspect giving a bad value to a construct, in the second stack',
    phase: Phase.SYNTH,
    build: (app) => {
      goodStackFirst(app);
      const { stack, net } = shop(app);
      const lb = lvs(stack, net);
      atSynth(stack, () => lb.addTarget(tier(stack, net), { port: 70000 }));
    },
    error: /^ {2}shop\/Lb: 'port' \(70000\) must be an integer from 1 to 65535/m,
  },
  {
    kind: 'aspect overriding a resource with a Terraform expression, in the second stack',
    phase: Phase.SYNTH,
    build: (app) => {
      goodStackFirst(app);
      const { stack, net } = shop(app);
      atSynth(stack, () => net.network.addOverride('name', '${path.module}'));
    },
    error: /^ {2}shop\/Net\/Resource: 'name' \('\$\{path\.module\}'\) of openstack_networking_network_v2\.Net_[0-9A-F]{8} would be evaluated by Terraform: \$\{\.\.\.\} at offset 0: reference 'path\.module' is not var\.<name>.*Give plain text/m,
  },
  {
    kind: 'artifact producer that throws, in the second stack',
    phase: Phase.SYNTH,
    build: (app) => {
      goodStackFirst(app);
      const stack = new HostingStack(app, 'shop');
      stack.addArtifact('campaigns/sale.tfvars.json', () => {
        throw new Error('no campaign named sale');
      });
    },
    error: /^ {2}shop: 'addArtifact' \('campaigns\/sale\.tfvars\.json'\) has a producer that threw at synth \(no campaign named sale\); a producer must return the file's content/m,
  },
  {
    kind: 'artifact producer that returns no text (JavaScript caller)',
    phase: Phase.SYNTH,
    build: (app) => {
      goodStackFirst(app);
      const stack = new HostingStack(app, 'shop');
      stack.addArtifact('campaigns/sale.tfvars.json', () => undefined as unknown as string);
    },
    error: /^ {2}shop: 'addArtifact' \('campaigns\/sale\.tfvars\.json'\) has a producer that returned undefined at synth; a producer must return the file's content as a string/m,
  },
];
