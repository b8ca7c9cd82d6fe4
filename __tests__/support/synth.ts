import { Testing } from 'cdktf';
import { HostingStack } from '../../lib';

/** A fresh stack in a fresh test app. */
export function testStack(id = 'test'): HostingStack {
  return new HostingStack(Testing.app(), id);
}

/** The synthesized Terraform JSON of a stack, parsed. */
export function synthJson(stack: HostingStack): Record<string, any> {
  return JSON.parse(Testing.synth(stack));
}

/** All resources of one type in synthesized JSON, as a list of configs. */
export function resourcesOf(json: Record<string, any>, type: string): Record<string, any>[] {
  return Object.values(json.resource?.[type] ?? {});
}
