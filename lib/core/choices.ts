import { TerraformStack, TerraformVariable } from 'cdktf';
import { IConstruct } from 'constructs';
import { formatValue, HostingStacksError } from './errors';
import { Ipv4Cidr, parseCidr, parseIpv4 } from './ipv4';

/**
 * Closed choices and value checks every construct shares: values TypeScript would stop but a
 * JavaScript caller (or a value read from a file) can still pass, and values the consumer (Neutron,
 * Terraform, a daemon) would reject or misread. Each throws a {@link HostingStacksError} naming the
 * construct path, the prop, the value and what is allowed, so the mistake is reported at
 * construction instead of by the cloud, a daemon that does not start or a silently broken rule.
 */

/**
 * Throws unless `value` is one of `allowed` (compared with `===`), and returns it typed.
 * `what` replaces the list of allowed values in the message when it is long
 * (`'a Redis 7.0 command name such as FLUSHALL'`).
 */
export function requireOneOf<T extends string | number>(scope: IConstruct, prop: string, value: unknown, allowed: readonly T[], what?: string): T {
  if (!(allowed as readonly unknown[]).includes(value)) {
    throw new HostingStacksError(scope, prop, value, `must be ${what ?? `one of ${allowed.map((a) => formatValue(a)).join(', ')}`}`);
  }
  return value as T;
}

/**
 * Throws unless `value` is a member value of the string enum `enumObject` (named `enumName` in the
 * message, e.g. `must be one of NetworkZone.DMZ ('dmz'), NetworkZone.APPLICATION ('application'), ...`),
 * and returns it typed. A member's name (`'DATA'`) is not its value (`'data'`) and is refused.
 */
export function requireEnumValue<E extends Record<string, string>>(scope: IConstruct, prop: string, value: unknown, enumObject: E, enumName: string): E[keyof E] {
  const members = Object.entries(enumObject);
  if (!members.some(([, v]) => v === value)) {
    throw new HostingStacksError(scope, prop, value, `must be one of ${members.map(([k, v]) => `${enumName}.${k} ('${v}')`).join(', ')}`);
  }
  return value as E[keyof E];
}

/**
 * The widest source an admin or SSH opening may name: a /16 (65,536 addresses). An administrators',
 * office or VPN network is far smaller; anything wider (`128.0.0.0/1` is half the internet) is a
 * typo or a way around the `0.0.0.0/0` refusal.
 */
export const ADMIN_SOURCE_MIN_PREFIX = 16;

/**
 * Throws when `block`, a source SSH or other admin access is opened to, is wider than
 * /{@link ADMIN_SOURCE_MIN_PREFIX}. `block` is already parsed; `0.0.0.0/0` is refused with the same
 * rule, though callers usually refuse it first with their own message.
 */
export function requireAdminSource(scope: IConstruct, prop: string, block: Ipv4Cidr): void {
  if (block.prefix < ADMIN_SOURCE_MIN_PREFIX) {
    throw new HostingStacksError(scope, prop, block.text,
      `is wider than /${ADMIN_SOURCE_MIN_PREFIX} (${(2 ** (32 - ADMIN_SOURCE_MIN_PREFIX)).toLocaleString('en')} addresses); an admin or SSH source must be an administrators', office or VPN network with a prefix length of at least /${ADMIN_SOURCE_MIN_PREFIX}`);
  }
}

/** Throws unless `value` is a dotted-quad IPv4 address (not a DNS name, no leading zeros); returns it. */
export function requireIpv4Address(scope: IConstruct, prop: string, value: unknown, example: string): string {
  if (typeof value !== 'string' || parseIpv4(value) === undefined) {
    throw new HostingStacksError(scope, prop, value, `${IPV4_ADDRESS_RULE}, e.g. '${example}'`);
  }
  return value;
}

/** What {@link requireIpv4Address} and the address planner say is allowed. */
export const IPV4_ADDRESS_RULE = 'must be an IPv4 address in decimal without leading zeros (not a DNS name)';

/** What {@link requireIpv4Cidr} says is allowed. */
export const IPV4_CIDR_RULE = 'must be an IPv4 CIDR with no host bits set, in decimal without leading zeros (read as octal by other tools)';

/**
 * Returns the parsed block when `value` is an IPv4 CIDR with no host bits set and no leading zeros
 * (`010.0.0.0/8` is octal to inet_aton and so to some firewalls); throws a
 * {@link HostingStacksError} naming `scope`, `prop` and the value otherwise. `refuseEverywhere`
 * also refuses `0.0.0.0/0` (for lists of trusted sources, where it would mean the internet).
 */
export function requireIpv4Cidr(scope: IConstruct, prop: string, value: unknown, example: string, refuseEverywhere = false): Ipv4Cidr {
  const block = typeof value === 'string' ? parseCidr(value) : undefined;
  if (!block || (refuseEverywhere && block.prefix === 0)) {
    throw new HostingStacksError(scope, prop, value, `${IPV4_CIDR_RULE}${refuseEverywhere ? ', other than 0.0.0.0/0' : ''}, e.g. '${example}'`);
  }
  return block;
}

/**
 * Throws unless `value` is an IPv4 address or an IPv4 CIDR with no host bits set (what Neutron's
 * `allowed_address_pairs.ip_address` takes; not a DNS name, no leading zeros); returns it.
 */
export function requireIpv4AddressOrCidr(scope: IConstruct, prop: string, value: unknown, example: string): string {
  if (typeof value !== 'string' || (parseIpv4(value) === undefined && parseCidr(value) === undefined)) {
    throw new HostingStacksError(scope, prop, value, `must be an IPv4 address or CIDR with no host bits set (not a DNS name), e.g. '${example}'`);
  }
  return value;
}

/**
 * Names Terraform refuses for a variable (`The variable name "count" is reserved due to its special
 * meaning inside module blocks`).
 */
export const TERRAFORM_RESERVED_VARIABLE_NAMES: readonly string[] = ['source', 'version', 'providers', 'count', 'for_each', 'lifecycle', 'depends_on', 'locals'];

/**
 * Throws unless `name` can be the Terraform variable of `scope`'s stack: snake_case, at most 64
 * characters, not a name Terraform reserves ({@link TERRAFORM_RESERVED_VARIABLE_NAMES}) and not
 * already the name of another variable of the stack (two variables of one name are silently merged
 * into one by the synthesizer: two clusters would share one count). `isSame` accepts an existing
 * variable as the very one asked for (a {@link Secret} of the same name is shared on purpose).
 */
export function requireTerraformVariableName(scope: IConstruct, prop: string, name: unknown, isSame: (existing: TerraformVariable) => boolean = () => false): string {
  if (typeof name !== 'string' || !/^[a-z][a-z0-9_]{0,63}$/.test(name)) {
    throw new HostingStacksError(scope, prop, name, "must be snake_case: a lower-case letter, then lower-case letters, digits and '_' (at most 64 characters)");
  }
  if (TERRAFORM_RESERVED_VARIABLE_NAMES.includes(name)) {
    throw new HostingStacksError(scope, prop, name, `is reserved by Terraform for variables (${TERRAFORM_RESERVED_VARIABLE_NAMES.join(', ')}); choose another name`);
  }
  const clash = TerraformStack.of(scope).node.findAll()
    .find((c): c is TerraformVariable => c instanceof TerraformVariable && c.friendlyUniqueId === name && !isSame(c));
  if (clash) {
    throw new HostingStacksError(scope, prop, name, `is already the Terraform variable of ${clash.node.scope?.node.path ?? clash.node.path}; variable names must be unique in a stack`);
  }
  return name;
}

/**
 * Throws unless `id` is a safe stack id: it names the stack's directory under `stacks/` and prefixes
 * its resource names, so only letters, digits, '-' and '_', starting with a letter or digit, at most
 * 63 characters ('..' or 'a/b' would write outside `stacks/`).
 */
export function requireStackId(scope: IConstruct, id: unknown): string {
  if (typeof id !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/.test(id)) {
    throw new HostingStacksError(scope, 'id', id, "must be a stack id of letters, digits, '-' and '_', starting with a letter or digit (at most 63 characters): it names the stack's directory under stacks/");
  }
  return id;
}

/** The longest name Neutron, Nova, Glance and Cinder accept for a resource (`name` is a 255-character string). */
export const OPENSTACK_NAME_MAX_LENGTH = 255;

/**
 * Throws unless `value` is a name OpenStack accepts and a lookup can match: a non-empty string, not
 * only spaces, of at most {@link OPENSTACK_NAME_MAX_LENGTH} characters. `what` says what it names
 * (`'a Glance image name'`).
 */
export function requireOpenstackName(scope: IConstruct, prop: string, value: unknown, what: string): string {
  if (typeof value !== 'string' || !value.trim() || value.length > OPENSTACK_NAME_MAX_LENGTH) {
    throw new HostingStacksError(scope, prop, typeof value === 'string' && value.length > 40 ? `${value.slice(0, 40)}... (${value.length} characters)` : value,
      `must be ${what}: 1 to ${OPENSTACK_NAME_MAX_LENGTH} characters, not only spaces`);
  }
  return value;
}
