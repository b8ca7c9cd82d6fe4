import { Construct } from 'constructs';
import { HostingStack } from '../lib';
import { IpressoStack, IpressoStackProps } from './ipresso';
import { MonsieurDeguisementStack, MonsieurDeguisementStackProps } from './monsieur-deguisement';
import { PopgomStack, PopgomStackProps } from './popgom';
import { RunisoStack, RunisoStackProps } from './runiso';
import { SentineloStack, SentineloStackProps } from './sentinelo';

/**
 * The admin network for SSH to POPGOM's LVS directors, Sentinelo's haproxy nodes and Runiso's ADC nodes, from
 * `ADMIN_CIDR` when set (the stacks' safe default otherwise). Monsieur Déguisement's operators come in through its VPN: its Octavia entries
 * have no nodes to reach, and its haproxy pairs (`MdEntries.haproxyPairs`) admit the offices' network.
 */
function adminCidr(): string | undefined {
  return process.env.ADMIN_CIDR || undefined;
}

/**
 * Props laid over each stack's own, by stack id: what a test changes (the lab boots Sentinelo with
 * two servers of each kind and an SFTP account of its own). The case-study figures stay the defaults.
 */
export interface StackOverrides {
  /** Laid over Sentinelo's props (after `ADMIN_CIDR`). @default - none: the case study's figures */
  readonly sentinelo?: SentineloStackProps;
  /** Laid over POPGOM's props (after `ADMIN_CIDR`). @default - none: the case study's figures */
  readonly popgom?: PopgomStackProps;
  /** Laid over Runiso's props (after `ADMIN_CIDR`). @default - none: the case study's figures and our estimates */
  readonly runiso?: RunisoStackProps;
  /** iPresso's props. @default - none: the case study's figures and our estimates, MACHINE_PER_FUNCTION */
  readonly ipresso?: IpressoStackProps;
  /** Monsieur Déguisement's props. @default - none: the case study's figures */
  readonly 'monsieur-deguisement'?: MonsieurDeguisementStackProps;
}

/** Builds every case-study stack into `scope`, in case-study order. */
export function buildAllStacks(scope: Construct, overrides: StackOverrides = {}): HostingStack[] {
  return [
    new SentineloStack(scope, 'sentinelo', { adminCidr: adminCidr(), ...overrides.sentinelo }),
    new PopgomStack(scope, 'popgom', { adminCidr: adminCidr(), ...overrides.popgom }),
    new RunisoStack(scope, 'runiso', { adminCidr: adminCidr(), ...overrides.runiso }),
    new IpressoStack(scope, 'ipresso', overrides.ipresso),
    new MonsieurDeguisementStack(scope, 'monsieur-deguisement', overrides['monsieur-deguisement']),
  ];
}
