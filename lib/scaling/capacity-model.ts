import { IServerTier } from '../compute/server-cluster';
import { HostingStacksError, requireIntegerInRange, requirePositive } from '../core/errors';
import { CapacityPlan } from './scaling-model';
import { ceilCount } from './simulator';
import { brand, describeValue, hasBrand, Kinds, requireOptions } from '../core/peers';

/**
 * Spare capacity planned on top of the expected demand: 20 %, the margin behind the Monsieur
 * Déguisement front-end maximum (4,000 users x 1.2 / 500, case study 5), which also absorbs a
 * forecast that is 20 % short.
 */
export const DEFAULT_HEADROOM = 0.2;
/**
 * Minutes from the scaling decision until a new instance serves traffic (assumption): about 2 for
 * an OVHcloud Public Cloud instance to boot from its volume, 5 to 8 for cloud-init to install the
 * packages, write the configs and start the daemons; the balancer's health check then admits it.
 */
export const DEFAULT_BOOT_MINUTES = 10;
/**
 * HTTP requests per second one browsing user causes: a page about every 10 s (the reasoning behind
 * MD_USERS_PER_FRONTEND, case study 5). Static files come from a CDN and are not counted.
 */
export const DEFAULT_REQUESTS_PER_USER_PER_SECOND = 0.1;
/**
 * Seconds a dynamic page holds a worker (PHP-FPM child, Apache worker proxying it, Tomcat thread):
 * about 1 s for an uncached Magento 1 page (MD_USERS_PER_FRONTEND's reasoning). With a page every
 * 10 s, one worker serves 1 / (0.1 x 1) = 10 concurrent users.
 */
export const DEFAULT_REQUEST_SECONDS = 1;

/** Props of {@link CapacityModel.forTier}. */
export interface CapacityModelProps {
  /**
   * Concurrent users one instance serves at full load.
   * @default - derived from the tier: its workers / (requestsPerUserPerSecond x requestSeconds), rounded
   * down, where workers are `phpMaxChildren` (MagentoFrontends), `mpm.maxRequestWorkers` (WebTier) or
   * `maxThreads` (AppTier); other tiers must give it
   */
  readonly usersPerInstance?: number;
  /** Spare capacity on top of the demand, 0 to 1 (0.2 plans for 120 %). @default DEFAULT_HEADROOM (0.2) */
  readonly headroom?: number;
  /** Whole minutes from the decision until a new instance serves. @default DEFAULT_BOOT_MINUTES (10) */
  readonly bootMinutes?: number;
  /** HTTP requests per second one concurrent user causes. @default DEFAULT_REQUESTS_PER_USER_PER_SECOND (0.1) */
  readonly requestsPerUserPerSecond?: number;
  /** Seconds one request holds a worker, for the derived usersPerInstance. @default DEFAULT_REQUEST_SECONDS (1) */
  readonly requestSeconds?: number;
  /**
   * Share of the calendar's users (campaign peaks, the simulated demand) the tier must carry, over
   * 0 up to 1: a site of an active-active stack whose sites carry the peak two by two takes 1/2.
   * The scaling plan counts each instance for `usersPerInstance / demandShare` users of the whole.
   * @default 1
   */
  readonly demandShare?: number;
}

/**
 * How much one instance of a scalable tier serves and how long a new one takes: what turns a
 * campaign's expected users into instances, `ceil(users x (1 + headroom) / usersPerInstance)`.
 */
export class CapacityModel {
  /** True when `x` is a {@link CapacityModel} (a `Symbol.for` brand: look-alike objects are not). */
  public static isCapacityModel(x: unknown): x is CapacityModel {
    return hasBrand(x, 'CapacityModel');
  }

  /**
   * The capacity of one instance of `tier`. Throws (naming the tier) when a figure is out of range,
   * or when `usersPerInstance` is not given for a tier it cannot be derived from.
   */
  public static forTier(tier: IServerTier, props: CapacityModelProps = {}): CapacityModel {
    if (!Kinds.SERVER_TIER.is(tier)) throw HostingStacksError.ofFactory('CapacityModel.forTier', 'tier', describeValue(tier), `must be ${Kinds.SERVER_TIER.allowed}`);
    requireOptions<CapacityModelProps>(tier, 'capacity', props, ['usersPerInstance', 'headroom', 'bootMinutes', 'requestsPerUserPerSecond', 'requestSeconds', 'demandShare']);
    return new CapacityModel(tier, props);
  }

  /** The tier the model is for. */
  public readonly tier: IServerTier;
  /** Concurrent users one instance serves at full load. */
  public readonly usersPerInstance: number;
  /** Where `usersPerInstance` comes from, for reviews and error messages. */
  public readonly usersPerInstanceSource: string;
  /** Spare capacity, 0 to 1. */
  public readonly headroom: number;
  /** Minutes until a new instance serves. */
  public readonly bootMinutes: number;
  /** Requests per second per concurrent user. */
  public readonly requestsPerUserPerSecond: number;
  /** Share of the calendar's users the tier carries. */
  public readonly demandShare: number;

  private constructor(tier: IServerTier, props: CapacityModelProps) {
    brand(this, 'CapacityModel');
    this.tier = tier;
    const scope = tier;
    this.demandShare = props.demandShare ?? 1;
    if (typeof this.demandShare !== 'number' || !Number.isFinite(this.demandShare) || this.demandShare <= 0 || this.demandShare > 1) {
      throw new HostingStacksError(scope, 'capacity.demandShare', this.demandShare, 'must be a fraction over 0 up to 1 (0.5: the tier carries half of the users)');
    }
    this.headroom = props.headroom ?? DEFAULT_HEADROOM;
    if (!Number.isFinite(this.headroom) || this.headroom < 0 || this.headroom > 1) {
      throw new HostingStacksError(scope, 'capacity.headroom', this.headroom, 'must be a fraction from 0 to 1 (0.2 plans for 120 % of the users)');
    }
    this.bootMinutes = props.bootMinutes ?? DEFAULT_BOOT_MINUTES;
    requireIntegerInRange(scope, 'capacity.bootMinutes', this.bootMinutes, 0, 240);
    this.requestsPerUserPerSecond = props.requestsPerUserPerSecond ?? DEFAULT_REQUESTS_PER_USER_PER_SECOND;
    requirePositive(scope, 'capacity.requestsPerUserPerSecond', this.requestsPerUserPerSecond);
    const requestSeconds = props.requestSeconds ?? DEFAULT_REQUEST_SECONDS;
    requirePositive(scope, 'capacity.requestSeconds', requestSeconds);
    if (props.usersPerInstance !== undefined) {
      requireIntegerInRange(scope, 'capacity.usersPerInstance', props.usersPerInstance, 1);
      this.usersPerInstance = props.usersPerInstance;
      this.usersPerInstanceSource = 'given';
      return;
    }
    const workers = tier.workers;
    if (!workers) {
      throw new HostingStacksError(scope, 'capacity.usersPerInstance', undefined,
        'must be given: it is derived only for a tier that declares its workers per server (MagentoFrontends, WebTier, AppTier)');
    }
    const perWorker = 1 / (this.requestsPerUserPerSecond * requestSeconds);
    this.usersPerInstance = Math.floor(workers.perServer * perWorker + 1e-9);
    if (this.usersPerInstance < 1) {
      throw new HostingStacksError(scope, 'capacity.usersPerInstance', this.usersPerInstance,
        `derived as ${workers.perServer} ${workers.what} / (${this.requestsPerUserPerSecond} requests per user per second x ${requestSeconds} s) is below 1; give it`);
    }
    this.usersPerInstanceSource = `${workers.perServer} ${workers.what} x ${round(perWorker)} users each (a request every ${round(1 / this.requestsPerUserPerSecond)} s holding a worker ${requestSeconds} s)`;
  }

  /** Instances `users` concurrent users (of the whole demand) need: `ceil(users x demandShare x (1 + headroom) / usersPerInstance)`. */
  public instancesFor(users: number): number {
    return instancesFor(this.plan, users);
  }

  /** The model as plain data. */
  public get plan(): CapacityPlan {
    return {
      // An instance of a tier carrying a share of the demand counts for more users of the whole.
      usersPerInstance: this.usersPerInstance / this.demandShare,
      headroom: this.headroom,
      bootMinutes: this.bootMinutes,
      requestsPerUserPerSecond: this.requestsPerUserPerSecond,
    };
  }
}

/** Instances `users` concurrent users need with `capacity`: `ceil(users x (1 + headroom) / usersPerInstance)`, float dust ignored. */
export function instancesFor(capacity: CapacityPlan, users: number): number {
  return ceilCount((users * (1 + capacity.headroom)) / capacity.usersPerInstance);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
