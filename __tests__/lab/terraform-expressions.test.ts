/**
 * The lab's evaluator of Terraform JSON-syntax templates: escapes, expressions, functions and the
 * errors that name the resource, the attribute and the expression.
 */
import {
  EvaluationScope,
  evaluateTemplate,
  hasInterpolation,
  jsonEncode,
  LabEvaluationError,
  ResourceReference,
  TerraformValue,
} from '../../lib/lab/terraform-expressions';

const SITE = { address: 'openstack_compute_instance_v2.Web_1234ABCD', path: 'user_data' };

function scope(variables: Record<string, TerraformValue> = {}, countIndex?: number): EvaluationScope & { refs: ResourceReference[] } {
  const refs: ResourceReference[] = [];
  return {
    refs,
    countIndex,
    variable: (name) => {
      if (!(name in variables)) throw new Error(`var.${name} is not declared`);
      return variables[name];
    },
    resource: (ref) => {
      refs.push(ref);
      const address = `${ref.mode === 'data' ? 'data.' : ''}${ref.type}.${ref.name}${ref.index !== undefined ? `[${ref.index}]` : ''}`;
      const [first, ...rest] = ref.steps;
      if (first.kind === 'attribute' && first.name === 'id') return address;
      if (first.kind === 'attribute' && first.name === 'export_locations') {
        const list = [{ path: '198.51.100.1:/share' }];
        return rest.reduce<TerraformValue>((v, s) => (s.kind === 'index' ? (v as TerraformValue[])[s.value as number] : (v as Record<string, TerraformValue>)[s.name]), list);
      }
      throw new Error(`unknown attribute of ${address}`);
    },
  };
}

const ev = (text: string, variables: Record<string, TerraformValue> = {}, countIndex?: number): TerraformValue => evaluateTemplate(text, scope(variables, countIndex), SITE);

describe('templates', () => {
  test('literal text passes through unchanged', () => {
    expect(ev('#cloud-config\nhostname: web-1\n')).toBe('#cloud-config\nhostname: web-1\n');
  });

  test('$${ and %%{ escapes become a literal ${ and %{', () => {
    expect(ev('echo $${HOME} %%{REQUEST_SCHEME} $$ %% $HOME')).toBe('echo ${HOME} %{REQUEST_SCHEME} $$ %% $HOME');
  });

  test('an interpolation is replaced by its value inside text', () => {
    expect(ev('pass=${var.p};', { p: 'x&y' })).toBe('pass=x&y;');
  });

  test('a string that is a single interpolation keeps the expression type', () => {
    expect(ev('${var.n}', { n: 3 })).toBe(3);
    expect(ev('${var.n > 2}', { n: 3 })).toBe(true);
    expect(ev('n=${var.n}', { n: 3 })).toBe('n=3');
  });

  test('a template directive is rejected', () => {
    expect(() => ev('%{ if true }x%{ endif }')).toThrow(/directives.*not supported/);
  });

  test('an unterminated interpolation is rejected', () => {
    expect(() => ev('a ${var.x')).toThrow(LabEvaluationError);
  });

  test('hasInterpolation ignores escaped sequences', () => {
    expect(hasInterpolation('$${x} %%{y}')).toBe(false);
    expect(hasInterpolation('a ${var.x}')).toBe(true);
  });
});

describe('literals and operators', () => {
  test.each([
    ['"a\\nb\\t\\"q\\" \\\\ \\u00e9"', 'a\nb\t"q" \\ é'],
    ['42', 42],
    ['1.5', 1.5],
    ['true', true],
    ['false', false],
    ['null', null],
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['7 % 3', 1],
    ['7 / 2', 3.5],
    ['-4 + 1', -3],
    ['!true', false],
    ['1 == 1 && 2 != 3', true],
    ['1 < 2 || false', true],
    ['2 >= 3', false],
    ['3 <= 3', true],
    ['"1" == 1', false],
    ['true ? "a" : "b"', 'a'],
    ['false ? "a" : 1 > 0 ? "c" : "d"', 'c'],
    ['[1, "x", true][1]', 'x'],
    ['"${1 + 1}x"', '2x'],
    ['"a$${b}"', 'a${b}'],
  ])('${%s} is %j', (expr, expected) => {
    expect(ev(`\${${expr}}`)).toEqual(expected);
  });

  test('a count conditional follows the variable', () => {
    expect(ev('${var.frontends_servers_count > 2 ? 1 : 0}', { frontends_servers_count: 2 })).toBe(0);
    expect(ev('${var.frontends_servers_count > 2 ? 1 : 0}', { frontends_servers_count: 3 })).toBe(1);
  });

  test('count.index is the instance index', () => {
    expect(ev('web-${count.index + 1}', {}, 4)).toBe('web-5');
    expect(() => ev('${count.index}')).toThrow(/count.index is only available/);
  });

  test('arithmetic on a non-number is an error', () => {
    expect(() => ev('${"a" + 1}')).toThrow(/must be a number/);
  });

  test('interpolating null is an error', () => {
    expect(() => ev('x${null}')).toThrow(/null/);
  });
});

describe('references', () => {
  test('a resource id, a counted resource and a data source reach the scope with their parts', () => {
    const s = scope();
    expect(evaluateTemplate('${openstack_networking_port_v2.P_1[0].id}', s, SITE)).toBe('openstack_networking_port_v2.P_1[0]');
    expect(evaluateTemplate('${data.openstack_images_image_v2.Image-Debian_12.id}', s, SITE)).toBe('data.openstack_images_image_v2.Image-Debian_12');
    expect(s.refs.map((r) => [r.mode, r.type, r.name, r.index])).toEqual([
      ['managed', 'openstack_networking_port_v2', 'P_1', 0],
      ['data', 'openstack_images_image_v2', 'Image-Debian_12', undefined],
    ]);
  });

  test('traversal after an attribute (export_locations[0].path)', () => {
    expect(ev('mount ${openstack_sharedfilesystem_share_v2.Media.export_locations[0].path} /m')).toBe('mount 198.51.100.1:/share /m');
  });

  test('an undeclared variable names the site and the expression', () => {
    expect(() => ev('x ${var.missing}')).toThrow(/openstack_compute_instance_v2\.Web_1234ABCD: user_data: cannot evaluate \$\{var\.missing\}: var\.missing is not declared/);
  });

  test('the error carries address, path and expression', () => {
    try {
      ev('a ${upper(var.nope)} b');
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(LabEvaluationError);
      const err = e as LabEvaluationError;
      expect([err.address, err.path, err.expression]).toEqual([SITE.address, 'user_data', 'upper(var.nope)']);
    }
  });
});

describe('functions', () => {
  const p = `p&<>"'%#+=;?$\\ x`;
  test('replace chains as the library emits them (XML escaping)', () => {
    expect(ev('${replace(replace(replace(replace(replace(var.p, "&", "&amp;"), "<", "&lt;"), ">", "&gt;"), "\\"", "&quot;"), "\'", "&apos;")}', { p }))
      .toBe('p&amp;&lt;&gt;&quot;&apos;%#+=;?$\\ x');
  });

  test('replace with escaped backslashes (shell/redis escaping)', () => {
    expect(ev('${replace(replace(var.p, "\\\\", "\\\\\\\\"), "\\"", "\\\\\\"")}', { p: 'a\\b"c' })).toBe('a\\\\b\\"c');
  });

  test('replace with a /regex/ uses RE2-style groups', () => {
    expect(ev('${replace("a-1 b-22", "/([a-z])-(\\\\d+)/", "$2$1")}')).toBe('1a 22b');
    expect(ev('${replace("hello", "/l+/", "L")}')).toBe('heLo');
    expect(ev('${replace("ab", "/(?P<x>a)/", "$${x}$${x}")}')).toBe('aab');
    expect(ev('${replace("AbA", "/(?i)a/", "x")}')).toBe('xbx');
    expect(() => ev('${replace("a", "/\\\\pL/", "x")}')).toThrow(/RE2 syntax.*not supported/);
  });

  test('regex returns the match or its captures and fails without a match; can() turns that failure into false', () => {
    expect(ev('${regex("[0-9]+", "ab123c")}')).toBe('123');
    expect(ev('${regex("^(ssh-ed25519) ([A-Za-z0-9+/=]+)$", "ssh-ed25519 AAAA")}')).toEqual(['ssh-ed25519', 'AAAA']);
    expect(ev('${regex("(?P<kind>[a-z]+)-", "ed-25519")}')).toEqual({ kind: 'ed' });
    expect(() => ev('${regex("^x$", "y")}')).toThrow(/regex\(\) pattern "\^x\$" does not match "y"/);
    expect(ev('${can(regex("^(ssh-ed25519|ssh-rsa) [A-Za-z0-9+/=]+( [^\\n]*)?$", var.k))}', { k: 'ssh-ed25519 AAAAC3Nz lab@host' })).toBe(true);
    expect(ev('${can(regex("^(ssh-ed25519|ssh-rsa) [A-Za-z0-9+/=]+( [^\\n]*)?$", var.k))}', { k: '-----BEGIN OPENSSH PRIVATE KEY-----' })).toBe(false);
    // can() catches an evaluation error, not an undeclared variable (Terraform rejects that at validate).
    expect(() => ev('${can(var.nope)}')).toThrow(/var.nope is not declared/);
  });

  test('join, lower, upper, trimspace, tostring', () => {
    expect(ev('${join(",", ["a", "b"], ["c"])}')).toBe('a,b,c');
    expect(ev('${lower("AbC")}${upper("x")}')).toBe('abcX');
    expect(ev('[${trimspace("  a b \\n")}]')).toBe('[a b]');
    expect(ev('${tostring(12)}')).toBe('12');
  });

  test('jsonencode escapes <, > and & as Terraform does and sorts object keys', () => {
    expect(ev('${jsonencode(var.p)}', { p: 'a<b>&"c' })).toBe('"a\\u003cb\\u003e\\u0026\\"c"');
    expect(jsonEncode({ b: 1, a: [true, null] })).toBe('{"a":[true,null],"b":1}');
  });

  test('base64encode encodes UTF-8', () => {
    expect(ev('${base64encode("é\\n")}')).toBe(Buffer.from('é\n').toString('base64'));
  });

  test('format with %s, %d and %%', () => {
    expect(ev('${format("%s-%d %%", "web", 3)}')).toBe('web-3 %');
    expect(() => ev('${format("%f", 1)}')).toThrow(/not supported/);
    expect(() => ev('${format("%5s", "a")}')).toThrow(/without flags or width/);
    expect(() => ev('${format("%s %s", "a")}')).toThrow(/not enough arguments/);
  });

  test('element wraps around, lookup uses its default', () => {
    expect(ev('${element(["a", "b"], 3)}')).toBe('b');
    expect(ev('${lookup(var.m, "k", "d")}${lookup(var.m, "z", "d")}', { m: { k: 'v' } })).toBe('vd');
    expect(() => ev('${lookup(var.m, "z")}', { m: {} })).toThrow(/no key 'z'/);
  });

  test('min, max, floor', () => {
    expect(ev('${min(3, 1, 2)}')).toBe(1);
    expect(ev('${max(3, 1, 2)}')).toBe(3);
    expect(ev('${floor(2.7)}')).toBe(2);
    expect(ev('${floor(var.n) == var.n}', { n: 2.5 })).toBe(false);
  });

  test('an unknown function is an error naming it', () => {
    expect(() => ev('${file("x")}')).toThrow(/function 'file' is not supported/);
  });

  test('a wrong number of arguments is an error', () => {
    expect(() => ev('${replace("a", "b")}')).toThrow(/replace\(\) takes 3 argument/);
  });
});
