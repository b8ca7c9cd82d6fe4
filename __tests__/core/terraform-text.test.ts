import { DefaultTokenResolver, StringConcat, TerraformVariable, Tokenization } from 'cdktf';
import { Construct } from 'constructs';
import {
  Connections,
  Flavor,
  HostingStacksError,
  Port,
  PrivateVSwitch,
  ServerCluster,
} from '../../lib';
import { stableOutput } from '../../lib/core/outputs';
import { SynthPass } from '../../lib/core/synth-pass';
import { escapeTerraformText, requireTerraformLiteral, resolveTerraformParts, resolveTerraformString } from '../../lib/core/terraform-text';
import { checkTerraformTemplates } from '../../lib/testing';
import { evaluateTerraformTemplate } from '../../lib/validation/terraform-template-check';
import { synthJson, testStack } from '../support/synth';

describe('requireTerraformLiteral', () => {
  test.each([['GRA11'], ['Ext-Net'], ['Debian 12'], ['100% $5 {x} $ {y} % {z}'], ['']])('given %p, which Terraform reads as written, then it is returned', (value) => {
    expect(requireTerraformLiteral(testStack(), 'region', value)).toBe(value);
  });

  test.each([['${file("/etc/passwd")}'], ['a%{ if true }b%{ endif }'], ['GRA${var.n}'], ['$${escaped}'], ['%%{escaped}']])(
    'given %p, which holds a template sequence, then it throws naming the scope, the prop, the value and what is allowed',
    (value) => {
      const scope = new Construct(testStack('shop'), 'Net');
      let thrown: unknown;
      try {
        requireTerraformLiteral(scope, 'name', value);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(HostingStacksError);
      expect((thrown as Error).message).toBe(`shop/Net: 'name' ('${value}') must be a string without '\${' or '%{': Terraform would evaluate them as an expression or a directive`);
    },
  );

  test('given a token (a variable\'s value) in a name, then it is allowed: the library\'s own references pass', () => {
    const stack = testStack();
    const region = new TerraformVariable(stack, 'region', { type: 'string' }).stringValue;
    expect(requireTerraformLiteral(stack, 'region', region)).toBe(region);
    expect(requireTerraformLiteral(stack, 'region', `${region}-b`)).toBe(`${region}-b`);
  });

  test('given a token next to a template sequence, then the sequence is still refused', () => {
    const stack = testStack();
    const region = new TerraformVariable(stack, 'region', { type: 'string' }).stringValue;
    expect(() => requireTerraformLiteral(stack, 'region', `${region}\${path.cwd}`)).toThrow(/^test: 'region' \(.*\) must be a string without/);
  });

  test('given a value that is not a string (JavaScript caller), then it throws; undefined passes only when optional', () => {
    const stack = testStack();
    expect(() => requireTerraformLiteral(stack, 'volumeType', 12)).toThrow(/^test: 'volumeType' \(12\) must be a string without/);
    expect(() => requireTerraformLiteral(stack, 'volumeType', undefined)).toThrow(/^test: 'volumeType' \(undefined\) must be a string/);
    expect(requireTerraformLiteral(stack, 'volumeType', undefined, true)).toBeUndefined();
  });
});

describe('escapeTerraformText', () => {
  test('given text without a template sequence, then it is returned unchanged', () => {
    expect(escapeTerraformText('hosting-stacks: shop/Web (100% $HOME {x})')).toBe('hosting-stacks: shop/Web (100% $HOME {x})');
  });

  test.each([
    ['${file("/etc/passwd")}', '$${file("/etc/passwd")}'],
    ['%{ if true }x%{ endif }', '%%{ if true }x%%{ endif }'],
    ['already $${escaped} and %%{escaped}', 'already $$${escaped} and %%%{escaped}'],
    ['$$${', '$$$${'],
  ])('given %p, then it escapes it as %p, which Terraform reads back as the text given', (text, escaped) => {
    expect(escapeTerraformText(text)).toBe(escaped);
    expect(checkTerraformTemplates({ resource: { t: { r: { description: escaped } } } })).toEqual([]);
    expect(evaluateTerraformTemplate(escaped, {})).toBe(text);
  });

  test('given a token among the text, then the token stays a reference and only the text is escaped', () => {
    const stack = testStack();
    const v = new TerraformVariable(stack, 'v', { type: 'string' });
    const escaped = escapeTerraformText(`${v.stringValue} \${x}`);
    expect(Tokenization.resolve(escaped, { scope: stack, preparing: false, resolver: new DefaultTokenResolver(new StringConcat()) })).toBe('${var.v} $${x}');
  });
});

describe('free text in the Terraform', () => {
  test('given a reason and a description holding ${...}, when synthesized, then the rules\' descriptions are escaped and the declared text is kept', () => {
    const stack = testStack('shop');
    const net = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
    const web = new ServerCluster(stack, 'Web', { vswitch: net, count: 1, flavor: Flavor.named('b3-8') });
    const internet = web.connections.allowFromInternet(Port.tcp(443), 'shop ${file("/etc/passwd")}');
    web.connections.allowInternally(Port.tcp(8080), 'cluster %{ if true }peers%{ endif }');
    const json = synthJson(stack);
    const descriptions = Object.values(json.resource.openstack_networking_secgroup_rule_v2 as Record<string, { description: string }>).map((r) => r.description);
    expect(descriptions).toEqual(expect.arrayContaining(['internet: shop $${file("/etc/passwd")}', 'cluster %%{ if true }peers%%{ endif }']));
    expect(internet.description).toBe('internet: shop ${file("/etc/passwd")}');
    expect(checkTerraformTemplates(json)).toEqual([]);
  });

  test('given a security group description, a metadata value and an output description holding ${...}, then each is escaped', () => {
    const stack = testStack('shop');
    const net = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
    const web = new ServerCluster(stack, 'Web', { vswitch: net, count: 1, flavor: Flavor.named('b3-8') });
    new Connections(stack, 'Admin', { description: 'admins ${timestamp()}' });
    web.instances[0].addMetadata('note', 'set by ${path.cwd}');
    stableOutput(stack, 'Note', 'note', { value: 'x', description: 'see %{ if true }this%{ endif }' });
    const json = synthJson(stack);
    const groups = Object.values(json.resource.openstack_networking_secgroup_v2 as Record<string, { description: string }>).map((g) => g.description);
    expect(groups).toContain('admins $${timestamp()}');
    const server = Object.values(json.resource.openstack_compute_instance_v2 as Record<string, { metadata: Record<string, string> }>)[0];
    expect(server.metadata.note).toBe('set by $${path.cwd}');
    expect(json.output.note.description).toBe('see %%{ if true }this%%{ endif }');
    expect(checkTerraformTemplates(json)).toEqual([]);
  });

  test('given a variable\'s token as a metadata value, then it stays a reference', () => {
    const stack = testStack('shop');
    const net = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
    const web = new ServerCluster(stack, 'Web', { vswitch: net, count: 1, flavor: Flavor.named('b3-8') });
    web.instances[0].addMetadata('count', new TerraformVariable(stack, 'web_count', { type: 'string' }).stringValue);
    const server = Object.values(synthJson(stack).resource.openstack_compute_instance_v2 as Record<string, { metadata: Record<string, string> }>)[0];
    expect(server.metadata.count).toBe('${var.web_count}');
  });
});

describe('resolveTerraformString', () => {
  const cdktfResolve = (scope: Construct, text: string) => Tokenization.resolve(text, { scope, preparing: false, resolver: new DefaultTokenResolver(new StringConcat()) }) as string;

  test('given texts with tokens among literal escapes, braces and numbers, then each resolves as cdktf resolves it whole', () => {
    const stack = testStack();
    const a = new TerraformVariable(stack, 'a', { type: 'string' });
    const n = new TerraformVariable(stack, 'n', { type: 'number' });
    const texts = [
      'no token at all, $${literal} and %%{directive} }',
      `listen ${a.stringValue};\nserver { root $\${HOME}; }\npassword=${a.stringValue}\n`,
      `{"json": "${a.stringValue}", "n": ${n.numberValue}}`,
      `count ${n.numberValue} then ${a.stringValue}`,
      // A token inside an open `${ ... }` of the text: cdktf writes it without its own braces.
      `\${upper(${a.stringValue})} and after } ${a.stringValue}`,
      `$\${${a.stringValue}}`,
      `${a.stringValue}${a.stringValue}`,
    ];
    for (const text of texts) expect(resolveTerraformString(stack, text)).toBe(cdktfResolve(stack, text));
  });

  test('given a synth pass, then a token repeated across texts is resolved once', () => {
    const stack = testStack();
    const a = new TerraformVariable(stack, 'a', { type: 'string' });
    const text = `x=${a.stringValue}\n`;
    const resolve = jest.spyOn(Tokenization, 'resolve');
    try {
      SynthPass.begin(stack);
      for (let i = 0; i < 5; i++) expect(resolveTerraformString(stack, text)).toBe('x=${var.a}\n');
      // A token alone (each read of `stringValue` makes a new one, so the text holds one token).
      const tokenResolves = resolve.mock.calls.filter(([value]) => typeof value === 'string' && /^\$\{TfToken\[[^\]]+\]\}$/.test(value)).length;
      expect(tokenResolves).toBe(1);
    } finally {
      SynthPass.end(stack);
      resolve.mockRestore();
    }
  });
});

describe('resolveTerraformParts', () => {
  const cdktfResolve = (scope: Construct, text: string) => Tokenization.resolve(text, { scope, preparing: false, resolver: new DefaultTokenResolver(new StringConcat()) }) as string;

  test('given texts cut into parts, an open ${ ... } across a cut among them, then each resolves as cdktf resolves the whole text', () => {
    const stack = testStack();
    const a = new TerraformVariable(stack, 'a', { type: 'string' });
    const n = new TerraformVariable(stack, 'n', { type: 'number' });
    const cuts: string[][] = [
      ['#cloud-config\n', `x: ${a.stringValue}\n`, 'y: $${HOME}\n', `n: ${n.numberValue}\n`],
      // An escape opened in one part and closed in the next: the token in between is inside it.
      ['a ${upper(', `${a.stringValue}`, ')} b\n', `${a.stringValue}\n`],
      ['}', `\${${a.stringValue}`, '}', ''],
      [],
      ['no token\n', 'at all }\n'],
    ];
    SynthPass.begin(stack);
    try {
      for (const parts of cuts) expect(resolveTerraformParts(stack, parts)).toBe(cdktfResolve(stack, parts.join('')));
    } finally {
      SynthPass.end(stack);
    }
  });

  test('given a synth pass and servers sharing a part, then the shared part is resolved once', () => {
    const stack = testStack();
    const a = new TerraformVariable(stack, 'a', { type: 'string' });
    const shared = `password=${a.stringValue}\n`.repeat(3);
    const resolve = jest.spyOn(Tokenization, 'resolve');
    try {
      SynthPass.begin(stack);
      for (let i = 0; i < 4; i++) expect(resolveTerraformParts(stack, [`hostname: web-${i}\n`, shared])).toBe(`hostname: web-${i}\n${'password=${var.a}\n'.repeat(3)}`);
      const sharedResolves = resolve.mock.calls.filter(([value]) => typeof value === 'string' && value.startsWith('password=')).length;
      expect(sharedResolves).toBe(1);
    } finally {
      SynthPass.end(stack);
      resolve.mockRestore();
    }
  });
});
