import { TerraformOutput } from 'cdktf';
import { Connections, ExternalNetwork, Flavor, HostingStack, MachineImage, NfsBackend, PrivateVSwitch, Router, ServerCluster, SharedFiles } from '../../../lib';
import { BadInputRow, Phase, shop } from '../bad-input-support';

/** What every refusal of a template sequence says is allowed. */
const PLAIN = "must be a string without '\\$\\{' or '%\\{': Terraform would evaluate them as an expression or a directive";

/**
 * Bad input of issue 10's class 'terraform': text that would reach the Terraform as an expression or
 * a directive. Identifiers are refused when given; what a caller writes into the Terraform past the
 * constructs (an override, an output of its own) is refused at synth by the stack's template check,
 * with the construct path and the Terraform address.
 */
export const ROWS: readonly BadInputRow[] = [
  {
    kind: 'region that calls a Terraform function',
    phase: Phase.BUILD,
    build: (app) => new HostingStack(app, 'shop', { region: '${file("/etc/passwd")}' }),
    error: new RegExp(`^shop: 'region' \\('\\$\\{file\\("/etc/passwd"\\)\\}'\\) ${PLAIN}`),
  },
  {
    kind: 'external network name with an interpolation',
    phase: Phase.BUILD,
    build: (app) => new Router(new HostingStack(app, 'shop'), 'Router', { externalNetwork: ExternalNetwork.named('${var.pool}') }),
    error: new RegExp(`^shop/Router: 'externalNetwork' \\('\\$\\{var\\.pool\\}'\\) ${PLAIN}`),
  },
  {
    kind: 'custom flavor name with a template directive',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new ServerCluster(stack, 'Web', { vswitch: net, count: 1, flavor: Flavor.custom({ name: '%{ if true }b3-8%{ endif }', vcpus: 2, ramGb: 8, diskGb: 50 }) });
    },
    error: new RegExp(`^shop/Web: 'flavor\\.name' \\('%\\{ if true \\}b3-8%\\{ endif \\}'\\) ${PLAIN}`),
  },
  {
    kind: 'image name with an interpolation',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new ServerCluster(stack, 'Web', { vswitch: net, count: 1, flavor: Flavor.named('b3-8'), image: MachineImage.debianNamed('Debian ${upper("12")}') });
    },
    error: new RegExp(`^shop/Web: 'image' \\('Debian \\$\\{upper\\("12"\\)\\}'\\) ${PLAIN}`),
  },
  {
    kind: 'volume type with an interpolation',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new ServerCluster(stack, 'Web', { vswitch: net, count: 1, flavor: Flavor.named('b3-8'), volumeType: 'high-speed${path.cwd}' });
    },
    error: new RegExp(`^shop/Web: 'volumeType' \\('high-speed\\$\\{path\\.cwd\\}'\\) ${PLAIN}`),
  },
  {
    kind: 'Manila share type with an interpolation',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, net } = shop(app);
      new SharedFiles(stack, 'Media', { backend: NfsBackend.MANILA, sizeGb: 10, vswitch: net, shareType: '${env}-1az' });
    },
    error: new RegExp(`^shop/Media: 'shareType' \\('\\$\\{env\\}-1az'\\) ${PLAIN}`),
  },
  {
    kind: 'vSwitch network name with an interpolation',
    phase: Phase.BUILD,
    build: (app) => {
      const { stack, router } = shop(app);
      new PrivateVSwitch(stack, 'Back', { cidr: '10.0.2.0/24', router, name: 'back-${timestamp()}' });
    },
    error: new RegExp(`^shop/Back: 'name' \\('back-\\$\\{timestamp\\(\\)\\}'\\) ${PLAIN}`),
  },
  {
    kind: 'security group name with an interpolation',
    phase: Phase.BUILD,
    build: (app) => new Connections(new HostingStack(app, 'shop'), 'Admin', { name: 'admin-${uuid()}' }),
    error: new RegExp(`^shop/Admin: 'name' \\('admin-\\$\\{uuid\\(\\)\\}'\\) ${PLAIN}`),
  },
  {
    kind: 'override that writes a Terraform function call into a resource',
    phase: Phase.SYNTH,
    build: (app) => {
      const { router } = shop(app);
      router.resource.addOverride('name', '${file("/etc/passwd")}');
    },
    error: /^ {2}shop\/Router\/Resource: 'name' \('\$\{file\("\/etc\/passwd"\)\}'\) of openstack_networking_router_v2\.Router_[0-9A-F]{8} would be evaluated by Terraform: \$\{\.\.\.\} at offset 0: function 'file' is not one this check accepts .*Give plain text: Terraform reads '\$\{' and '%\{' in every string as an expression or a directive/m,
  },
  {
    kind: 'output of the caller with an unescaped directive',
    phase: Phase.SYNTH,
    build: (app) => {
      const { stack } = shop(app);
      new TerraformOutput(stack, 'Notes', { value: 'up 100%{ for x in [] }%{ endfor }' });
    },
    error: /^ {2}shop\/Notes: 'value' \('up 100%\{ for x in \[\] \}%\{ endfor \}'\) of output\.Notes would be evaluated by Terraform: unescaped '%\{' at offset 6 starts a template directive .*Give plain text/m,
  },
];
