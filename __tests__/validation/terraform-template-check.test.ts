import { HostingStacksError } from '../../lib/core/errors';
import { Flavor } from '../../lib/compute/flavor';
import { ServerCluster } from '../../lib/compute/server-cluster';
import { PrivateVSwitch } from '../../lib/network/private-vswitch';
import {
  checkTerraformTemplates,
  checkTerraformTemplateString,
  evaluateReplaceChain,
  evaluateTerraformTemplate,
  TemplateContext,
} from '../../lib/validation/terraform-template-check';
import { synthJson, testStack } from '../support/synth';

const CONTEXT: TemplateContext = {
  variables: ['db_password'],
  resources: ['openstack_networking_port_v2.Web_Port'],
  dataSources: ['openstack_images_image_v2.Image-Debian_12'],
  locals: ['region'],
};

/** The XML escaping chain the AppTier generates, as it appears in synthesized JSON. */
const XML_ESCAPE = 'replace(replace(replace(replace(replace(var.db_password, "&", "&amp;"), "<", "&lt;"), ">", "&gt;"), "\\"", "&quot;"), "\'", "&apos;")';

describe('checkTerraformTemplateString', () => {
  test.each([
    ['escaped interpolation', '<WatchedResource>$${catalina.base}/conf/web.xml</WatchedResource>'],
    ['escaped directive', 'RequestHeader set X-Forwarded-Proto "%%{REQUEST_SCHEME}s"'],
    ['lone $ and %', 'echo $HOME 100% $$ %% $ %'],
    ['declared variable', 'password=${var.db_password}'],
    ['declared variable with spaces', 'password=${ var.db_password }'],
    ['declared local', '${local.region}'],
    ['resource attribute', '${openstack_networking_port_v2.Web_Port.id}'],
    ['resource attribute with an index', '${openstack_networking_port_v2.Web_Port.all_fixed_ips[0]}'],
    ['data source attribute', '${data.openstack_images_image_v2.Image-Debian_12.id}'],
    ['nested replace with &, " and < literals', `password="\${${XML_ESCAPE}}"`],
    ['function with a number and a nested call', '${element(openstack_networking_port_v2.Web_Port.all_fixed_ips, 0)}-${upper(format("%s-%d", local.region, 2))}'],
    ['string literal with an escaped backslash', '${replace(var.db_password, "\\\\", "/")}'],
    ['a list of conditionals in compact()', '${compact([var.db_password == "" ? "" : local.region, openstack_networking_port_v2.Web_Port.id, ])}'],
    ['an empty list', '${compact([])}'],
  ])('given %s, then there is no problem', (_name, text) => {
    expect(checkTerraformTemplateString(text, CONTEXT)).toEqual([]);
  });

  test('given Apache\'s %{REQUEST_SCHEME} unescaped, then it reports a directive', () => {
    expect(checkTerraformTemplateString('X "%{REQUEST_SCHEME}s"', CONTEXT)).toEqual([
      "unescaped '%{' at offset 3 starts a template directive ('%{REQUEST_SCHEME}s\"'); write '%%{' for a literal '%{'",
    ]);
  });

  test('given Tomcat\'s ${catalina.base} unescaped, then it reports an unknown reference', () => {
    expect(checkTerraformTemplateString('${catalina.base}/conf', CONTEXT)).toEqual([
      "${...} at offset 0: reference 'catalina.base' is not var.<name>, local.<name>, <resource_type>.<name>[<index>].<attribute> or data.<type>.<name>.<attribute>",
    ]);
  });

  test.each([
    ['an undeclared variable', '${var.undeclared}', /reference 'var.undeclared' names a variable that is not declared/],
    ['an attribute of a variable', '${var.db_password.x}', /reference 'var.db_password.x' must be var.<name>/],
    ['an undeclared local', '${local.zone}', /reference 'local.zone' names a local that is not declared/],
    ['an undeclared resource', '${openstack_networking_port_v2.Other.id}', /names a resource that is not declared/],
    ['a resource without an attribute', '${openstack_networking_port_v2.Web_Port}', /is not var.<name>, local.<name>/],
    ['an undeclared data source', '${data.openstack_images_image_v2.Other.id}', /names a data source that is not declared/],
    ['a data source without an attribute', '${data.openstack_images_image_v2.Image-Debian_12}', /must be data.<type>.<name>.<attribute>/],
    ['count.index', '${count.index}', /reference 'count.index' is not var.<name>/],
    ['a function off the allow-list', '${file("x")}', /function 'file' is not one this check accepts/],
    ['a call of the wrong arity', '${replace(var.db_password, "a")}', /replace\(\) takes 3 argument\(s\), got 2/],
    ['a bad argument deep in a call', '${lower(upper(var.nope))}', /'var.nope' names a variable that is not declared/],
    ['an unterminated interpolation', 'a ${var.db_password', /offset 2 .* is unterminated \(no closing '}'\)/],
    ['an unterminated call', '${replace(var.db_password, "a", "b"', /is unterminated \(no '\)' closing replace/],
    ['an unterminated string literal', '${lower("abc)}', /is unterminated \(string literal at offset 8 not closed\)/],
    ['an empty interpolation', '${}', /unexpected '}'/],
    ['an operator on an undeclared name', '${var.nope + 1}', /'var.nope' names a variable that is not declared/],
    ['a conditional without its else', '${var.db_password == "" ? "a"}', /has unexpected '}' at offset 29 \(':' of a conditional expected\)/],
    ['a dangling operator', '${var.db_password >}', /has unexpected '}' at offset 19 \(a name, string or number expected\)/],
    ['a strip marker', '${~ var.db_password}', /has unexpected '~'/],
    ['a template inside a string literal', '${lower("$${x}")}', /template sequence inside the string literal/],
    ['an unsupported escape', '${lower("a\\nb")}', /unsupported escape '\\n'/],
    ['a bad item in a list', '${compact([local.region, var.nope])}', /'var.nope' names a variable that is not declared/],
    ['an unterminated list', '${compact([local.region', /no ']' closing the list at offset 10/],
    ['a list without its commas', '${compact([local.region local.region])}', /has unexpected 'l' at offset 24 in the list at offset 10/],
    ['a splat index', '${openstack_networking_port_v2.Web_Port.all_fixed_ips[*]}', /unsupported index/],
  ])('given %s, then it is reported', (_name, text, message) => {
    const problems = checkTerraformTemplateString(text, CONTEXT);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  test('given an empty context, then every reference is unknown', () => {
    expect(checkTerraformTemplateString('${var.db_password}${local.region}', {})).toHaveLength(2);
  });
});

describe('checkTerraformTemplates', () => {
  test('given a document, then strings under resource, data, output, locals and provider are checked with their address and path', () => {
    const doc = {
      variable: { db_password: { type: 'string', sensitive: true, description: '${not.checked}' } },
      terraform: { backend: { local: { path: '${not.checked}' } } },
      data: { openstack_images_image_v2: { Image: { name: 'Debian ${lower()}' } } },
      resource: {
        openstack_compute_instance_v2: {
          App: {
            '//': { metadata: { path: '${comment.not.checked}' } },
            user_data: 'p=${var.db_password} %{if x}',
            network: [{ port: '${openstack_networking_port_v2.Missing.id}' }],
            image_id: '${data.openstack_images_image_v2.Image.id}',
          },
        },
      },
      output: { pw: { value: '${var.other}' } },
      locals: { greeting: '${local.greeting}x', bad: '${nope.x}' },
      provider: { openstack: [{ region: '${local.region}' }] },
    };
    expect(checkTerraformTemplates(doc).map((v) => [v.address, v.path])).toEqual([
      ['openstack_compute_instance_v2.App', 'user_data'],
      ['openstack_compute_instance_v2.App', 'network[0].port'],
      ['data.openstack_images_image_v2.Image', 'name'],
      ['output.pw', 'value'],
      ['local.bad', ''],
      ['provider.openstack', '[0].region'],
    ]);
    expect(checkTerraformTemplates(doc)[0].message).toMatch(/unescaped '%\{' at offset 21/);
  });

  test('given a synthesized stack of core constructs, then there are no violations', () => {
    const stack = testStack();
    const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
    new ServerCluster(stack, 'Web', { vswitch, count: 2, flavor: Flavor.named('c3-4') });
    const json = synthJson(stack);
    expect(JSON.stringify(json)).toContain('${openstack_');
    expect(checkTerraformTemplates(json)).toEqual([]);
  });

  test('given daemon configs with ${ and %{ in user data, then the synthesized stack passes and only because they are escaped', () => {
    const stack = testStack();
    const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
    const cluster = new ServerCluster(stack, 'Web', { vswitch, count: 1, flavor: Flavor.named('c3-4') });
    cluster.instances[0].cloudConfig.addFile({ path: '/etc/x.conf', content: 'LogFormat "%{Referer}i" ${catalina.base}\n' });
    const json = synthJson(stack);
    expect(checkTerraformTemplates(json)).toEqual([]);
    const [name, instance] = Object.entries(json.resource.openstack_compute_instance_v2)[0] as [string, { user_data: string }];
    instance.user_data = instance.user_data.replace('%%{', '%{').replace('$${', '${');
    expect(checkTerraformTemplates(json).map((v) => [v.address, v.path])).toEqual([
      [`openstack_compute_instance_v2.${name}`, 'user_data'],
      [`openstack_compute_instance_v2.${name}`, 'user_data'],
    ]);
  });
});

describe('evaluateReplaceChain', () => {
  test('given the XML escaping chain and a hostile password, then every XML special is escaped once', () => {
    expect(evaluateReplaceChain(XML_ESCAPE, { db_password: `s3&cr"e<t>'x` })).toBe('s3&amp;cr&quot;e&lt;t&gt;&apos;x');
  });

  test('given a variable or a literal alone, then it is its value', () => {
    expect(evaluateReplaceChain(' var.db_password ', { db_password: 'a' })).toBe('a');
    expect(evaluateReplaceChain('replace("a.b.c", ".", "\\\\")', {})).toBe('a\\b\\c');
  });

  test.each([
    ['a regular expression substring', 'replace(var.p, "/[a-z]/", "x")', /regular expression \/\[a-z\]\//],
    ['an empty substring', 'replace(var.p, "", "x")', /empty substring/],
    ['a variable without a value', 'replace(var.q, "a", "b")', /holds 'var.q', which cannot be evaluated: only var.<name> with a given value is supported/],
    ['another function', 'upper(var.p)', /^evaluateReplaceChain: 'expression' \('upper\(var.p\)'\) holds upper\(\) with 1 argument\(s\), which cannot be evaluated/],
    ['a resource reference', 'openstack_x.y.id', /holds 'openstack_x.y.id', which cannot be evaluated/],
    ['trailing text', 'var.p }', /^evaluateReplaceChain: 'expression' \('var.p }'\) has unexpected '}' at offset 6$/],
    ['an unterminated call', 'replace(var.p, "a"', /'expression' \('replace\(var.p, "a"'\) is unterminated/],
  ])('given %s, then it throws', (_name, expression, message) => {
    expect(() => evaluateReplaceChain(expression, { p: 'pass' })).toThrow(message);
    expect(() => evaluateReplaceChain(expression, { p: 'pass' })).toThrow(HostingStacksError);
  });
});

describe('evaluateTerraformTemplate', () => {
  test('given escapes and interpolations, then it resolves both as Terraform would', () => {
    expect(evaluateTerraformTemplate('$${a} %%{b} $$ ${replace(var.p, "x", "y")}!', { p: 'xox' })).toBe('${a} %{b} $$ yoy!');
  });

  test('given a directive, then it throws', () => {
    expect(() => evaluateTerraformTemplate('%{if true}', {})).toThrow(HostingStacksError);
    expect(() => evaluateTerraformTemplate('%{if true}', {})).toThrow(/^evaluateTerraformTemplate: 'text' \('%\{if true\}'\) cannot be evaluated: unescaped '%\{' at offset 0/);
  });

  test('given an unterminated interpolation, then it throws', () => {
    expect(() => evaluateTerraformTemplate('${var.p', { p: 'a' })).toThrow(/cannot be evaluated: \$\{...\} at offset 0 \('\$\{var.p'\) is unterminated/);
  });

  test('given an interpolation it cannot evaluate in a long text, then it names its offset and shows the start of the text', () => {
    const text = `${'x'.repeat(100)}\${var.q}`;
    expect(() => evaluateTerraformTemplate(text, { p: 'a' }))
      .toThrow(`evaluateTerraformTemplate: 'text' ('${'x'.repeat(40)}...') cannot be evaluated: \${...} at offset 100 holds 'var.q', which cannot be evaluated: only var.<name> with a given value is supported`);
  });
});

describe('checkTerraformTemplateString on scaling expressions', () => {
  test.each([
    ['a count conditional', '${var.db_password > 1 ? 1 : 0}'],
    ['precedence and logic', '${var.db_password >= 1 && var.db_password <= 3 || var.db_password == 0}'],
    ['arithmetic in a call', '${min(var.db_password + 2, 10)}'],
    ['an indexed resource of a counted resource', '${openstack_networking_port_v2.Web_Port[0].id}'],
  ])('given %s, then it is accepted', (_name, text) => {
    expect(checkTerraformTemplateString(text, CONTEXT)).toEqual([]);
  });
});
