import { Testing, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { HostingStack, HostingStacksError, NetworkZone, Secret } from '../../lib';
import {
  ADMIN_SOURCE_MIN_PREFIX,
  OPENSTACK_NAME_MAX_LENGTH,
  requireAdminSource,
  requireEnumValue,
  requireIpv4Address,
  requireIpv4AddressOrCidr,
  requireOneOf,
  requireOpenstackName,
  requireStackId,
  requireTerraformVariableName,
  TERRAFORM_RESERVED_VARIABLE_NAMES,
} from '../../lib/core/choices';
import { parseCidr, parseIpv4 } from '../../lib/core/ipv4';
import { resourceName } from '../../lib/core/naming';
import { REDIS_COMMANDS, REDIS_DEFAULT_DISABLED_COMMANDS } from '../../lib/cache/redis-config';
import { synthJson, testStack } from '../support/synth';

describe('choices', () => {
  describe('requireOneOf', () => {
    test('given an allowed value, then it returns it', () => {
      expect(requireOneOf(testStack(), 'mode', 'b', ['a', 'b'])).toBe('b');
    });

    test('given a value outside the list, then it throws naming the scope, the prop, the value and the list', () => {
      expect(() => requireOneOf(testStack(), 'mode', 'c', ['a', 'b'])).toThrow(/^test: 'mode' \('c'\) must be one of 'a', 'b'$/);
    });

    test('given a description of what is allowed, then the message uses it instead of the list', () => {
      expect(() => requireOneOf(testStack(), 'command', 'FLUSHAL', REDIS_COMMANDS, 'a Redis command name')).toThrow(/^test: 'command' \('FLUSHAL'\) must be a Redis command name$/);
    });

    test('given a value of another type that prints the same, then it is refused (compared with ===)', () => {
      expect(() => requireOneOf(testStack(), 'level', '1', [1, 2])).toThrow(HostingStacksError);
    });
  });

  describe('requireEnumValue', () => {
    test('given a member value, then it returns it', () => {
      expect(requireEnumValue(testStack(), 'zone', 'data', NetworkZone, 'NetworkZone')).toBe(NetworkZone.DATA);
    });

    test.each([['DATA'], ['Data'], [undefined], [3]])('given %p, then it throws listing every member with its value', (value) => {
      expect(() => requireEnumValue(testStack(), 'zone', value, NetworkZone, 'NetworkZone'))
        .toThrow(/^test: 'zone' \(.*\) must be one of NetworkZone\.DMZ \('dmz'\), NetworkZone\.APPLICATION \('application'\), NetworkZone\.DATA \('data'\), NetworkZone\.MANAGEMENT \('management'\)$/);
    });
  });

  describe('CIDR and address parsing', () => {
    test.each(['010.0.1.0', '10.0.01.5', '10.00.0.1', '00.0.0.0'])('refuses the address %p with a leading zero (octal elsewhere)', (text) => {
      expect(parseIpv4(text)).toBeUndefined();
    });

    test.each(['0.0.0.0', '10.0.0.1', '100.64.10.200'])('still reads the address %p', (text) => {
      expect(parseIpv4(text)).toBeDefined();
    });

    test.each(['010.0.1.0/24', '10.0.1.0/024', '10.0.0.0/08', '0.0.0.0/00'])('refuses the CIDR %p with a leading zero', (text) => {
      expect(parseCidr(text)).toBeUndefined();
    });

    test('given an address, then requireIpv4Address returns it; given a DNS name, then it throws', () => {
      expect(requireIpv4Address(testStack(), 'dns', '213.186.33.99', '192.0.2.1')).toBe('213.186.33.99');
      expect(() => requireIpv4Address(testStack(), 'dns', 'dns.ovh.net', '192.0.2.1'))
        .toThrow(/^test: 'dns' \('dns\.ovh\.net'\) must be an IPv4 address in decimal without leading zeros \(not a DNS name\), e\.g\. '192\.0\.2\.1'$/);
    });

    test('given an address or a CIDR, then requireIpv4AddressOrCidr returns it; given a host name, then it throws', () => {
      expect(requireIpv4AddressOrCidr(testStack(), 'pair', '10.0.1.10', '10.0.1.10')).toBe('10.0.1.10');
      expect(requireIpv4AddressOrCidr(testStack(), 'pair', '10.0.1.0/24', '10.0.1.10')).toBe('10.0.1.0/24');
      expect(() => requireIpv4AddressOrCidr(testStack(), 'pair', 'vip.local', '10.0.1.10')).toThrow(/^test: 'pair' \('vip\.local'\) must be an IPv4 address or CIDR/);
    });
  });

  describe('requireAdminSource', () => {
    test(`given a /${ADMIN_SOURCE_MIN_PREFIX} or narrower, then it passes`, () => {
      expect(() => requireAdminSource(testStack(), 'adminCidr', parseCidr('172.16.0.0/16')!)).not.toThrow();
      expect(() => requireAdminSource(testStack(), 'adminCidr', parseCidr('203.0.113.7/32')!)).not.toThrow();
    });

    test.each(['128.0.0.0/1', '10.0.0.0/8', '172.16.0.0/15', '0.0.0.0/0'])('given %p, then it throws with the threshold', (text) => {
      expect(() => requireAdminSource(testStack(), 'adminCidr', parseCidr(text)!))
        .toThrow(new RegExp(`^test: 'adminCidr' \\('${text.replace(/\./g, '\\.')}'\\) is wider than /16 \\(65,536 addresses\\); an admin or SSH source must be`));
    });
  });

  describe('requireTerraformVariableName', () => {
    test.each(TERRAFORM_RESERVED_VARIABLE_NAMES.map((n) => [n]))('refuses the reserved name %p', (name) => {
      expect(() => requireTerraformVariableName(testStack(), 'name', name)).toThrow(new RegExp(`^test: 'name' \\('${name}'\\) is reserved by Terraform for variables`));
    });

    test.each(['Count', 'web-count', '_x', '1x', 'x'.repeat(65)])('refuses %p, which is not snake_case of at most 64 characters', (name) => {
      expect(() => requireTerraformVariableName(testStack(), 'name', name)).toThrow(/'name' \(.*\) must be snake_case/);
    });

    test('given the name of a variable already in the stack, then it throws naming its owner', () => {
      const stack = testStack();
      new TerraformVariable(new Construct(stack, 'Owner'), 'V', { type: 'string' }).overrideLogicalId('shop_size');
      expect(() => requireTerraformVariableName(new Construct(stack, 'Other'), 'countVariableName', 'shop_size'))
        .toThrow(/^test\/Other: 'countVariableName' \('shop_size'\) is already the Terraform variable of test\/Owner; variable names must be unique in a stack$/);
    });

    test('given the same Secret twice, then it is one shared variable; given a Secret named like another variable, then it throws', () => {
      const stack = testStack();
      const a = Secret.variable(stack, 'db_password', 'x');
      const b = Secret.variable(new Construct(stack, 'Elsewhere'), 'db_password', 'x');
      expect(b.variableName).toBe(a.variableName);
      expect(Object.keys(synthJson(stack).variable ?? {})).toEqual(['db_password']);
      new TerraformVariable(new Construct(stack, 'Owner'), 'V', { type: 'string' }).overrideLogicalId('api_key');
      expect(() => Secret.variable(stack, 'api_key', 'x')).toThrow(/^test: 'name' \('api_key'\) is already the Terraform variable of test\/Owner/);
    });
  });

  describe('requireStackId', () => {
    test.each(['shop', 'monsieur-deguisement', 'Shop_2'])('accepts %p', (id) => {
      expect(requireStackId(testStack(), id)).toBe(id);
    });

    test.each(['..', '.', 'a/b', '', '-x', 'a b', 'x'.repeat(64)])('refuses %p', (id) => {
      expect(() => requireStackId(testStack(), id)).toThrow(/^test: 'id' \(.*\) must be a stack id of letters, digits, '-' and '_'/);
    });

    test('given a HostingStack with id "..", then it throws', () => {
      expect(() => new HostingStack(Testing.app(), '..')).toThrow(/^\.\.: 'id' \('\.\.'\)/);
    });
  });

  describe('requireOpenstackName', () => {
    test(`given 1 to ${OPENSTACK_NAME_MAX_LENGTH} characters, then it returns the name`, () => {
      expect(requireOpenstackName(testStack(), 'name', 'Debian 12', 'an image name')).toBe('Debian 12');
      expect(requireOpenstackName(testStack(), 'name', 'x'.repeat(OPENSTACK_NAME_MAX_LENGTH), 'a name')).toHaveLength(OPENSTACK_NAME_MAX_LENGTH);
    });

    test.each([[''], ['   '], ['x'.repeat(OPENSTACK_NAME_MAX_LENGTH + 1)], [undefined]])('refuses %p', (value) => {
      expect(() => requireOpenstackName(testStack(), 'name', value, 'a Glance image name')).toThrow(/^test: 'name' \(.*\) must be a Glance image name: 1 to 255 characters, not only spaces$/);
    });

    test('given construct ids that make a resource name over 255 characters, then resourceName throws naming the construct', () => {
      const stack = testStack();
      expect(() => resourceName(new Construct(stack, 'A'.repeat(300)))).toThrow(/^test\/A{300}: 'id' \('test-a{35}\.\.\. \(305 characters\)'\)/);
    });
  });

  test('the Redis command list holds every default disabled command and no CONTAINER|SUBCOMMAND entry', () => {
    for (const c of REDIS_DEFAULT_DISABLED_COMMANDS) expect(REDIS_COMMANDS).toContain(c);
    expect(REDIS_COMMANDS.filter((c) => !/^[A-Z][A-Z_-]*$/.test(c))).toEqual([]);
    expect(REDIS_COMMANDS).not.toContain('FLUSHAL');
  });
});
