import { Construct } from 'constructs';
import { HostingStack } from '../lib';
import { MonsieurDeguisementStack } from './monsieur-deguisement';
import { PopgomStack } from './popgom';

/**
 * The admin network for SSH to POPGOM's LVS directors, from `ADMIN_CIDR` when set (the stack's safe
 * default otherwise). Monsieur Déguisement's operators come in through its VPN: its Octavia entries
 * have no nodes to reach, and its haproxy pairs (`MdEntries.haproxyPairs`) admit the offices' network.
 */
function adminCidr(): string | undefined {
  return process.env.ADMIN_CIDR || undefined;
}

/** Builds every case-study stack into `scope`, in case-study order. */
export function buildAllStacks(scope: Construct): HostingStack[] {
  return [
    new PopgomStack(scope, 'popgom', { adminCidr: adminCidr() }),
    new MonsieurDeguisementStack(scope, 'monsieur-deguisement'),
  ];
}
