import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import type { IServerTier, ServerInstance } from '../compute/server-cluster';
import { HostingStacksError, requirePositive } from '../core/errors';
import { Kinds, requireOptions, requirePeer } from '../core/peers';
import { requireText, TextKind } from '../core/text';

/** Seconds in a day: a daily volume over this is its average rate. */
export const SECONDS_PER_DAY = 86_400;

/** The largest peak-to-average factor: a whole day's volume within one minute. */
export const MAX_PEAK_TO_AVERAGE = 1_440;

/** How a flow's traffic falls on the servers at one of its ends. */
export enum TrafficShare {
  /** Spread evenly over the servers (a balanced tier: each carries 1/N). */
  SPREAD = 'spread',
  /** All of it on one server, the first (a database primary). */
  ONE = 'one',
  /** Every server carries all of it (replication to each replica, a probe of each server). */
  EACH = 'each',
}

/** One end of a traffic flow: some servers of the stack, or something outside it (the internet, the retailers). */
export class TrafficEnd {
  /** The servers of `tier`, sharing the flow as `share` says. */
  public static tier(tier: IServerTier, share: TrafficShare = TrafficShare.SPREAD): TrafficEnd {
    return new TrafficEnd(tier.node.path, tier.cluster.instances, share, tier);
  }

  /** Some servers (a database's primary, its replicas), named `label` in reports. */
  public static servers(label: string, servers: readonly ServerInstance[], share: TrafficShare = TrafficShare.SPREAD): TrafficEnd {
    return new TrafficEnd(label, servers, share);
  }

  /** Outside the stack: its side of a flow counts against no server. */
  public static outside(label: string): TrafficEnd {
    return new TrafficEnd(label, [], TrafficShare.SPREAD);
  }

  private constructor(
    /** How reports name this end. */
    public readonly label: string,
    /** The servers, none outside the stack. */
    public readonly servers: readonly ServerInstance[],
    /** How the flow falls on them. */
    public readonly share: TrafficShare,
    /** The tier given, if any (checked to be in the budget's stack). */
    private readonly tierGiven?: IServerTier,
  ) {}

  /** True for {@link outside} ends. */
  public get isOutside(): boolean {
    return this.servers.length === 0;
  }

  /** What each server of this end carries of a flow of `mbps`. */
  public perServer(mbps: number): Map<ServerInstance, number> {
    const out = new Map<ServerInstance, number>();
    if (this.share === TrafficShare.ONE) out.set(this.servers[0], mbps);
    else for (const s of this.servers) out.set(s, this.share === TrafficShare.EACH ? mbps : mbps / this.servers.length);
    return out;
  }

  /** Checks the end against `budget` (its tier a real one, its share one of TrafficShare). */
  public validate(budget: Construct, prop: string): TrafficEnd {
    if (this.tierGiven) requirePeer(budget, prop, this.tierGiven, Kinds.SERVER_TIER);
    if (!Object.values(TrafficShare).includes(this.share)) {
      throw new HostingStacksError(budget, `${prop}.share`, this.share, `must be one of ${Object.values(TrafficShare).join(', ')}`);
    }
    return this;
  }
}

/** A flow the stack carries: a daily volume between two ends, and how much busier its peak is. */
export interface TrafficFlowOptions {
  /** What it is, for reports and errors: 'API answers to the apps'. */
  readonly description: string;
  /** Where the bytes leave. */
  readonly from: TrafficEnd;
  /** Where they arrive. */
  readonly to: TrafficEnd;
  /** Bytes a day. */
  readonly bytesPerDay: number;
  /**
   * The peak rate over the day's average, 1 to MAX_PEAK_TO_AVERAGE (1,440): 1 for an even flow, 24 / h
   * for one that all happens within h hours (a nightly import in 2 hours: 12).
   */
  readonly peakToAverage: number;
}

/** A flow added to a {@link TrafficBudget}, with its peak rate. */
export interface TrafficFlow extends TrafficFlowOptions {
  /** Mbit/s at the peak: bytesPerDay x 8 / 86,400 x peakToAverage / 10^6. */
  readonly peakMbps: number;
}

/** What one server carries at the peak of every flow, each way. */
export interface ServerTraffic {
  /** The server. */
  readonly server: ServerInstance;
  /** Mbit/s arriving. */
  readonly inMbps: number;
  /** Mbit/s leaving. */
  readonly outMbps: number;
  /** The flows arriving, with this server's share of each, in Mbit/s. */
  readonly inFlows: readonly { readonly description: string; readonly mbps: number }[];
  /** The flows leaving, with this server's share of each. */
  readonly outFlows: readonly { readonly description: string; readonly mbps: number }[];
}

/** Props of {@link TrafficBudget}. */
export interface TrafficBudgetProps {
  /** Mbit/s each server may use each way (full duplex): its guaranteed bandwidth. */
  readonly perServerMbps: number;
}

/**
 * The bandwidth each server needs at the peak, from the flows the stack declares, against what a
 * server may use: synth fails when a server would need more, naming the server, the direction, the
 * flows and the limit. Peaks are summed as if every flow peaked at once (the safe side). In a
 * HostingStack, the per-server table is written next to the Terraform as `traffic/<id>.md`, so a
 * review sees what each server carries and why.
 */
export class TrafficBudget extends Construct {
  /** Mbit/s each server may use each way. */
  public readonly perServerMbps: number;
  private readonly flowList: TrafficFlow[] = [];

  constructor(scope: Construct, id: string, props: TrafficBudgetProps) {
    super(scope, id);
    requireOptions<TrafficBudgetProps>(this, 'props', props, ['perServerMbps']);
    requirePositive(this, 'perServerMbps', props.perServerMbps);
    this.perServerMbps = props.perServerMbps;
    this.node.addValidation({ validate: () => this.overLimit() });
    const stack = TerraformStack.of(this);
    if (Kinds.HOSTING_STACK.is(stack)) stack.addArtifact(`traffic/${id}.md`, () => this.report());
  }

  /** Adds a flow; returns it with its peak rate. */
  public addFlow(options: TrafficFlowOptions): TrafficFlow {
    requireOptions<TrafficFlowOptions>(this, 'flow', options, ['description', 'from', 'to', 'bytesPerDay', 'peakToAverage']);
    const description = requireText(this, 'flow.description', options.description, TextKind.FREE_TEXT);
    for (const prop of ['from', 'to'] as const) {
      if (!(options[prop] instanceof TrafficEnd)) throw new HostingStacksError(this, `flow.${prop}`, options[prop], 'must be a TrafficEnd (TrafficEnd.tier(...), .servers(...) or .outside(...))');
      options[prop].validate(this, `flow.${prop}`);
    }
    if (options.from.isOutside && options.to.isOutside) {
      throw new HostingStacksError(this, 'flow', description, `runs from '${options.from.label}' to '${options.to.label}', both outside the stack: no server carries it`);
    }
    if (typeof options.bytesPerDay !== 'number' || !Number.isFinite(options.bytesPerDay) || options.bytesPerDay < 0) {
      throw new HostingStacksError(this, 'flow.bytesPerDay', options.bytesPerDay, 'must be a finite number of bytes, 0 or more');
    }
    const peak = options.peakToAverage;
    if (typeof peak !== 'number' || !Number.isFinite(peak) || peak < 1 || peak > MAX_PEAK_TO_AVERAGE) {
      throw new HostingStacksError(this, 'flow.peakToAverage', peak, `must be from 1 (an even flow) to ${MAX_PEAK_TO_AVERAGE} (a day's volume within a minute)`);
    }
    const flow: TrafficFlow = { ...options, description, peakMbps: (options.bytesPerDay * 8 * peak) / SECONDS_PER_DAY / 1e6 };
    this.flowList.push(flow);
    return flow;
  }

  /** The flows, in the order added. */
  public get flows(): readonly TrafficFlow[] {
    return [...this.flowList];
  }

  /** Every server a flow touches, with what it carries at the peak, busiest first. */
  public get servers(): readonly ServerTraffic[] {
    const table = new Map<ServerInstance, { inFlows: { description: string; mbps: number }[]; outFlows: { description: string; mbps: number }[] }>();
    const entry = (s: ServerInstance) => {
      let e = table.get(s);
      if (!e) table.set(s, (e = { inFlows: [], outFlows: [] }));
      return e;
    };
    for (const f of this.flowList) {
      for (const [s, mbps] of f.from.perServer(f.peakMbps)) entry(s).outFlows.push({ description: f.description, mbps });
      for (const [s, mbps] of f.to.perServer(f.peakMbps)) entry(s).inFlows.push({ description: f.description, mbps });
    }
    const sum = (xs: readonly { mbps: number }[]) => xs.reduce((t, x) => t + x.mbps, 0);
    return [...table].map(([server, e]) => ({ server, inMbps: sum(e.inFlows), outMbps: sum(e.outFlows), ...e }))
      .sort((a, b) => Math.max(b.inMbps, b.outMbps) - Math.max(a.inMbps, a.outMbps) || a.server.hostname.localeCompare(b.server.hostname));
  }

  /** The per-server table and the flows, in Markdown. */
  public report(): string {
    const mbps = (x: number) => x.toFixed(1);
    const lines = [
      `# Traffic at the peak: ${this.node.path}`,
      '',
      `Each server may use ${this.perServerMbps} Mbit/s each way. Peaks are summed as if every flow peaked at once.`,
      '',
      '| server | in (Mbit/s) | out (Mbit/s) | share of the limit |',
      '|---|---|---|---|',
      ...this.servers.map((t) => `| ${t.server.hostname} | ${mbps(t.inMbps)} | ${mbps(t.outMbps)} | ${Math.round((100 * Math.max(t.inMbps, t.outMbps)) / this.perServerMbps)} % |`),
      '',
      '| flow | from | to | a day | peak / average | peak (Mbit/s) |',
      '|---|---|---|---|---|---|',
      ...this.flowList.map((f) => `| ${cell(f.description)} | ${cell(f.from.label)} (${f.from.share}) | ${cell(f.to.label)} (${f.to.share}) | ${volume(f.bytesPerDay)} | ${f.peakToAverage} | ${mbps(f.peakMbps)} |`),
      '',
    ];
    return lines.join('\n');
  }

  private overLimit(): string[] {
    const problems: string[] = [];
    for (const t of this.servers) {
      for (const [direction, total, flows] of [['in', t.inMbps, t.inFlows], ['out', t.outMbps, t.outFlows]] as const) {
        if (total <= this.perServerMbps) continue;
        const parts = flows.map((f) => `${f.description} ${f.mbps.toFixed(1)}`).join(' + ');
        problems.push(`${this.node.path}: server '${t.server.hostname}' needs ${total.toFixed(1)} Mbit/s ${direction} at the peak (${parts}); each server may use at most ${this.perServerMbps} Mbit/s each way: add servers to its tier or spread the flow`);
      }
    }
    return problems;
  }
}

/** A daily volume for people: '1.08 TB', '350 MB'. */
function volume(bytes: number): string {
  const units: [number, string][] = [[1e12, 'TB'], [1e9, 'GB'], [1e6, 'MB'], [1e3, 'kB']];
  const [size, unit] = units.find(([u]) => bytes >= u) ?? [1, 'B'];
  return `${Number((bytes / size).toPrecision(3))} ${unit}`;
}

/** Text for a Markdown table cell: a '|' would end the cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}
