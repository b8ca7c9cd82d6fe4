import { TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { hasBrand } from './peers';

/**
 * The construct whose scope holds a region's shared objects (the key pair, the image and external
 * network lookups) for `construct`: the nearest enclosing `Site` with a region of its own (its
 * provider alias applies to everything below it), else the stack. Read by brand, so the network
 * and compute modules need not import each other.
 */
export function regionalScopeOf(construct: IConstruct): Construct {
  const site = [...construct.node.scopes].reverse().find((s) => hasBrand(s, 'Site'));
  return site !== undefined && typeof (site as { region?: unknown }).region === 'string' ? (site as Construct) : TerraformStack.of(construct);
}

/** The region key of `construct`: the path of its regional Site, or '' for the stack's own region. */
export function regionKeyOf(construct: IConstruct): string {
  const scope = regionalScopeOf(construct);
  return TerraformStack.isStack(scope) ? '' : scope.node.path;
}
