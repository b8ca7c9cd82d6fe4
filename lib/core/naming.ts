import { IConstruct } from 'constructs';
import { TerraformStack } from 'cdktf';
import { requireOpenstackName } from './choices';

/**
 * A cloud resource name for a construct: the stack name and the construct path, lower-case, joined
 * by dashes (`popgom-web-instance1`). Stable as long as construct ids are, and unique per project
 * as long as stack names are.
 */
export function resourceName(scope: IConstruct, suffix?: string): string {
  const stack = TerraformStack.of(scope);
  const parts = scope.node.scopes.slice(scope.node.scopes.indexOf(stack) + 1).map((s) => s.node.id);
  const raw = [stack.node.id, ...parts, ...(suffix ? [suffix] : [])].join('-');
  const name = raw
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  // Neutron, Nova and Cinder refuse names over 255 characters: very long construct ids would.
  return requireOpenstackName(scope, 'id', name, 'a resource name built from the stack id and the construct ids (shorten them)');
}

/** A construct id in kebab case (`OrderTracking` -> `order-tracking`), for host names and prefixes. */
export function kebabCase(id: string): string {
  return id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase().replace(/[^a-z0-9-]+/g, '-');
}

/**
 * The construct path below its stack in snake case (`Entrances/ES` -> `entrances_es`,
 * `OrderTracking` -> `order_tracking`), for Terraform names (variables, outputs).
 */
export function snakeCasePath(scope: IConstruct): string {
  const stack = TerraformStack.of(scope);
  return scope.node.scopes
    .slice(scope.node.scopes.indexOf(stack) + 1)
    .map((s) => s.node.id)
    .join('_')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
}
