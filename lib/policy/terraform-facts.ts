import { TerraformStack } from 'cdktf';

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
