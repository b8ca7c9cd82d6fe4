import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { templatesDir } from '../config/template';

/**
 * Checks synthesized Terraform JSON against a provider schema (the format `terraform providers
 * schema -json` prints), standing in for `terraform validate` where no terraform binary or provider
 * download is available: resource and data-source types exist, attributes exist, required ones are
 * set, literal values have the right type, computed-only attributes are not set, nested blocks have
 * the right nesting and counts.
 */

/** A Terraform type in schema JSON: `"string"`, `["list","string"]`, `["object",{...}]` ... */
export type SchemaType = string | [string, SchemaType | Record<string, SchemaType>];

/** One attribute of a schema block. */
export interface SchemaAttribute {
  readonly type?: SchemaType;
  readonly required?: boolean;
  readonly optional?: boolean;
  readonly computed?: boolean;
}

/** A nested block type. */
export interface SchemaBlockType {
  readonly nesting_mode: 'single' | 'list' | 'set' | 'map' | 'group';
  readonly block: SchemaBlock;
  readonly min_items?: number;
  readonly max_items?: number;
}

/** A schema block: attributes and nested blocks. */
export interface SchemaBlock {
  readonly attributes?: Record<string, SchemaAttribute>;
  readonly block_types?: Record<string, SchemaBlockType>;
}

/** The part of a provider schema document the check reads. */
export interface ProviderSchemaDocument {
  readonly provider_schemas: Record<
    string,
    {
      readonly resource_schemas?: Record<string, { readonly block: SchemaBlock }>;
      readonly data_source_schemas?: Record<string, { readonly block: SchemaBlock }>;
    }
  >;
}

/** One place where the Terraform JSON disagrees with the schema. */
export interface SchemaViolation {
  /** `openstack_networking_port_v2.Web_Port_ABC` or `data.openstack_images_image_v2.Image`. */
  readonly address: string;
  /** Attribute path inside the resource (`fixed_ip[0].ip_address`), empty for the resource itself. */
  readonly path: string;
  /** What is wrong. */
  readonly message: string;
}

/** Terraform meta-arguments allowed on every resource and data source. */
const META_ARGUMENTS = new Set(['count', 'for_each', 'depends_on', 'provider', 'lifecycle', 'provisioner', 'connection', '//']);

/** The OpenStack provider 3.4.0 schema shipped with the package (`provider/openstack-provider-schema.json`). */
export function loadOpenstackProviderSchema(): ProviderSchemaDocument {
  return JSON.parse(readFileSync(join(templatesDir(), '..', 'provider', 'openstack-provider-schema.json'), 'utf8')) as ProviderSchemaDocument;
}

/** Checks every resource and data source of a synthesized stack; returns the violations (none when valid). */
export function checkProviderSchema(terraform: Record<string, unknown>, schema: ProviderSchemaDocument): SchemaViolation[] {
  const resources: Record<string, { block: SchemaBlock }> = {};
  const dataSources: Record<string, { block: SchemaBlock }> = {};
  for (const p of Object.values(schema.provider_schemas)) {
    Object.assign(resources, p.resource_schemas ?? {});
    Object.assign(dataSources, p.data_source_schemas ?? {});
  }
  const violations: SchemaViolation[] = [];
  const walk = (section: unknown, schemas: Record<string, { block: SchemaBlock }>, prefix: string, kind: string) => {
    if (section === undefined) return;
    for (const [type, byName] of Object.entries(section as Record<string, Record<string, unknown>>)) {
      const s = schemas[type];
      for (const [name, config] of Object.entries(byName)) {
        const address = `${prefix}${type}.${name}`;
        if (!s) {
          violations.push({ address, path: '', message: `${kind} type '${type}' does not exist in the provider schema` });
          continue;
        }
        checkBlock(config as Record<string, unknown>, s.block, address, '', violations, true);
      }
    }
  };
  walk(terraform.resource, resources, '', 'resource');
  walk(terraform.data, dataSources, 'data.', 'data source');
  return violations;
}

function isExpression(v: unknown): boolean {
  return typeof v === 'string' && v.includes('${');
}

function checkBlock(config: Record<string, unknown>, block: SchemaBlock, address: string, path: string, out: SchemaViolation[], topLevel: boolean): void {
  const attrs = block.attributes ?? {};
  const blocks = block.block_types ?? {};
  const at = (k: string) => (path ? `${path}.${k}` : k);
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    out.push({ address, path, message: `must be an object, got ${JSON.stringify(config)}` });
    return;
  }
  for (const [k, v] of Object.entries(config)) {
    if (topLevel && META_ARGUMENTS.has(k)) continue;
    const attr = attrs[k];
    const nested = blocks[k];
    if (attr) {
      if (attr.computed && !attr.optional && !attr.required) {
        out.push({ address, path: at(k), message: 'is computed by the provider and cannot be set' });
        continue;
      }
      if (v === null) continue;
      if (attr.type !== undefined) checkValue(v, attr.type, address, at(k), out);
    } else if (nested) {
      checkNestedBlock(v, nested, address, at(k), out);
    } else {
      out.push({ address, path: at(k), message: `is not an argument or block of this ${topLevel ? 'resource' : 'block'}` });
    }
  }
  for (const [k, attr] of Object.entries(attrs)) {
    if (attr.required && (config[k] === undefined || config[k] === null)) out.push({ address, path: at(k), message: 'is required but not set' });
  }
  for (const [k, nested] of Object.entries(blocks)) {
    if ((nested.min_items ?? 0) > 0 && config[k] === undefined) {
      out.push({ address, path: at(k), message: `block is required (at least ${nested.min_items})` });
    }
  }
}

function checkNestedBlock(v: unknown, nested: SchemaBlockType, address: string, path: string, out: SchemaViolation[]): void {
  if (isExpression(v)) return;
  if (nested.nesting_mode === 'single' || nested.nesting_mode === 'group') {
    const item = Array.isArray(v) ? v : [v];
    if (item.length > 1) out.push({ address, path, message: `is a single block but ${item.length} were given` });
    item.forEach((i) => checkBlock(i as Record<string, unknown>, nested.block, address, path, out, false));
    return;
  }
  if (nested.nesting_mode === 'map') {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      out.push({ address, path, message: 'must be a map of blocks' });
      return;
    }
    for (const [k, i] of Object.entries(v)) checkBlock(i as Record<string, unknown>, nested.block, address, `${path}["${k}"]`, out, false);
    return;
  }
  const items = Array.isArray(v) ? v : [v];
  if (nested.min_items !== undefined && items.length < nested.min_items) out.push({ address, path, message: `needs at least ${nested.min_items} block(s), got ${items.length}` });
  if (nested.max_items !== undefined && items.length > nested.max_items) out.push({ address, path, message: `allows at most ${nested.max_items} block(s), got ${items.length}` });
  items.forEach((i, n) => checkBlock(i as Record<string, unknown>, nested.block, address, `${path}[${n}]`, out, false));
}

function checkValue(v: unknown, type: SchemaType, address: string, path: string, out: SchemaViolation[]): void {
  if (isExpression(v) || type === 'dynamic') return;
  const bad = (expected: string): void => {
    out.push({ address, path, message: `must be ${expected}, got ${JSON.stringify(v)}` });
  };
  if (typeof type === 'string') {
    if (type === 'string' && typeof v !== 'string') bad('a string');
    if (type === 'number' && typeof v !== 'number') bad('a number');
    if (type === 'bool' && typeof v !== 'boolean') bad('a bool');
    return;
  }
  const [kind, inner] = type;
  if (kind === 'list' || kind === 'set') {
    if (!Array.isArray(v)) return bad(`a ${kind}`);
    v.forEach((e, i) => checkValue(e, inner as SchemaType, address, `${path}[${i}]`, out));
    return;
  }
  if (kind === 'map') {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad('a map');
    for (const [k, e] of Object.entries(v)) checkValue(e, inner as SchemaType, address, `${path}["${k}"]`, out);
    return;
  }
  if (kind === 'object') {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad('an object');
    const fields = inner as Record<string, SchemaType>;
    for (const [k, e] of Object.entries(v)) {
      if (!(k in fields)) out.push({ address, path: `${path}.${k}`, message: 'is not a field of this object' });
      else checkValue(e, fields[k], address, `${path}.${k}`, out);
    }
  }
}
