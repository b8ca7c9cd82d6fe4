import { TerraformProvider, TerraformResource, TerraformStack, TerraformVariable } from 'cdktf';
import { IConstruct } from 'constructs';
import type { PolicyContext } from './policy-rule';

/** One resource of the synthesized Terraform JSON. */
export interface SynthesizedResource {
  /** Terraform resource type (`openstack_lb_listener_v2`). */
  readonly type: string;
  /** Its name in the JSON (the construct's logical id). */
  readonly name: string;
  /** Its arguments as synthesized. */
  readonly body: Record<string, unknown>;
  /** The construct path cdktf records in `//.metadata.path`, or the stack path and name. */
  readonly path: string;
}

/** The synthesized Terraform JSON of `stack` (what `cdk.tf.json` holds). */
export function synthesizedJson(stack: TerraformStack): Record<string, unknown> {
  return stack.toTerraform() as Record<string, unknown>;
}

/** Every resource of `type` in `json` (or in the stack's synthesized JSON). */
export function synthesizedResources(stack: TerraformStack, type: string, json: Record<string, unknown> = synthesizedJson(stack)): SynthesizedResource[] {
  const resources = (json.resource ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
  return Object.entries(resources[type] ?? {}).map(([name, body]) => ({ type, name, body, path: metadataPath(stack, name, body) }));
}

/** Every resource of every type in `json`. */
export function allSynthesizedResources(stack: TerraformStack, json: Record<string, unknown>): SynthesizedResource[] {
  const resources = (json.resource ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
  return Object.entries(resources).flatMap(([type, byName]) => Object.entries(byName).map(([name, body]) => ({ type, name, body, path: metadataPath(stack, name, body) })));
}

function metadataPath(stack: TerraformStack, name: string, body: Record<string, unknown>): string {
  const meta = body['//'] as { metadata?: { path?: unknown } } | undefined;
  return typeof meta?.metadata?.path === 'string' ? meta.metadata.path : `${stack.node.path}/${name}`;
}

/**
 * The synthesized resource of `node` when it is a TerraformResource of `type` (any type when
 * omitted): its body as `context.terraform` holds it, overrides applied. The resources are indexed
 * by construct path once per check.
 */
export function synthesizedResourceOf(node: IConstruct, context: PolicyContext, type?: string): SynthesizedResource | undefined {
  if (!TerraformResource.isTerraformResource(node) || (type !== undefined && node.terraformResourceType !== type)) return undefined;
  const byPath = context.memo('facts:synthesizedResourcesByPath', () => new Map(allSynthesizedResources(context.stack, context.terraform).map((r) => [r.path, r])));
  return byPath.get(node.node.path);
}

/** The synthesized `variable` block of `node` when it is a TerraformVariable, with its name in the JSON. */
export function synthesizedVariableOf(node: IConstruct, context: PolicyContext): { readonly name: string; readonly body: Record<string, unknown> } | undefined {
  if (!(node instanceof TerraformVariable)) return undefined;
  const name = node.friendlyUniqueId;
  const body = synthesizedVariables(context)[name];
  return body ? { name, body } : undefined;
}

/** Every `variable` block of the synthesized JSON, by name. */
export function synthesizedVariables(context: PolicyContext): Record<string, Record<string, unknown>> {
  return (context.terraform.variable ?? {}) as Record<string, Record<string, unknown>>;
}

/**
 * The synthesized `provider` blocks of `node` when it is a TerraformProvider (those of its type
 * with its alias), with the provider's type.
 */
export function synthesizedProviderOf(node: IConstruct, context: PolicyContext): { readonly type: string; readonly blocks: Record<string, unknown>[] } | undefined {
  if (!TerraformProvider.isTerraformProvider(node)) return undefined;
  const type = node.terraformResourceType;
  const all = ((context.terraform.provider ?? {}) as Record<string, Record<string, unknown>[] | undefined>)[type] ?? [];
  return { type, blocks: all.filter((b) => b.alias === node.alias) };
}
