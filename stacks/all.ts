import { Construct } from 'constructs';
import { HostingStack } from '../lib';
import { MonsieurDeguisementStack } from './monsieur-deguisement';
import { PopgomStack } from './popgom';

/** The admin network for SSH, from `ADMIN_CIDR` when set (each stack's safe default otherwise); every stack that takes one gets it. */
function adminCidr(): string | undefined {
  return process.env.ADMIN_CIDR || undefined;
}

/** Builds every case-study stack into `scope`, in case-study order. */
export function buildAllStacks(scope: Construct): HostingStack[] {
  return [
    new PopgomStack(scope, 'popgom', { adminCidr: adminCidr() }),
    new MonsieurDeguisementStack(scope, 'monsieur-deguisement', { adminCidr: adminCidr() }),
  ];
}
