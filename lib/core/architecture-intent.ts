/**
 * What a construct says about itself for the architecture notes (lib/architecture): what its tier
 * is for and how it is redundant. A construct that owns servers (or is a managed entry) declares it
 * as `architectureIntent`; one that declares nothing is a service tier whose members each serve
 * alone (a balanced pool). Your own constructs declare theirs the same way.
 */

/** What a tier is for, which decides whether its flows carry users' requests. */
export enum TierRole {
  /** Serves the users' requests (an entry, a web, application or data tier). */
  SERVICE = 'service',
  /** Runs the stack (monitoring, probes, backups, deployments): its flows to others carry no user's request. */
  OPERATIONS = 'operations',
  /** The staff's way in (the office VPN): what only it reaches is not user-facing. */
  STAFF_ACCESS = 'staff-access',
}

/** How a tier survives the loss of its servers. */
export enum RedundancyKind {
  /** Any one member serves (a balanced pool): it survives the loss of all members but one. */
  ANY_OF = 'any-of',
  /** Any one member serves, by holding a shared address (VRRP): it survives the loss of all members but one. */
  VIP_PAIR = 'vip-pair',
  /** A majority of members must be up (Galera): it survives the loss of a minority. */
  QUORUM = 'quorum',
  /** One member takes every write (a MySQL primary; promoting a replica is manual): it survives no loss. */
  SINGLE_WRITER = 'single-writer',
  /** A service the cloud runs (Octavia's active/standby amphorae). */
  MANAGED = 'managed',
}

/** A construct's declaration of its tier. */
export interface TierIntent {
  /** What the tier is for. @default TierRole.SERVICE */
  readonly role?: TierRole;
  /** How it is redundant. @default RedundancyKind.ANY_OF */
  readonly redundancy?: RedundancyKind;
  /**
   * Port 22 from outside the stack is its service (SFTP drops), not administration.
   * @default false
   */
  readonly sshServiceFromOutside?: boolean;
}

/** A construct that declares its tier. */
export interface IArchitectureIntent {
  /** Its tier's role and redundancy. */
  readonly architectureIntent: TierIntent;
}

/** The intent `x` declares, or the default (a service tier, any member serving). */
export function architectureIntentOf(x: unknown): TierIntent {
  const intent = typeof x === 'object' && x !== null ? (x as Partial<IArchitectureIntent>).architectureIntent : undefined;
  return typeof intent === 'object' && intent !== null ? intent : {};
}
