import { IArchitectureIntent, TierIntent, TierRole } from '../core/architecture-intent';
import { Construct } from 'constructs';
import { ConfigSyntax } from '../compute/cloud-config';
import { Flavor, Sizing } from '../compute/flavor';
import { ServerCluster, ServerInstance } from '../compute/server-cluster';
import { Connections, IConnectable } from '../core/connections';
import { kebabCase } from '../core/naming';
import { Kinds, optionalPeer, requirePeer, requireProps } from '../core/peers';
import type { IPrivateVSwitch } from '../network/private-vswitch';
import { BLACKBOX_CONFIG_PATH, BLACKBOX_DEFAULTS_PATH, BLACKBOX_EXPORTER_PORT } from './blackbox-config';
import { renderDaemonArgs } from './prometheus-files';

/** A probe server's default size: the blackbox exporter needs a few MB; the smallest Debian 12 server. */
export const PROBE_SIZING: Sizing = { vcpus: 1, ramGb: 2, diskGb: 10 };

/** Where checks are run from: a `vantage` label and the blackbox exporter Prometheus asks. */
export interface IVantagePoint {
  /** The `vantage` label of its results. */
  readonly vantageName: string;
  /** `address:port` of its blackbox exporter, as the central Prometheus scrapes it. */
  readonly exporterAddress: string;
  /** The server it runs on. */
  readonly instance: ServerInstance;
}

/** Installs the blackbox exporter on `instance`, listening on `listen`, reading {@link BLACKBOX_CONFIG_PATH}. */
export function installBlackboxExporter(instance: ServerInstance, listen: string): void {
  const cc = instance.cloudConfig;
  cc.addPackages('prometheus-blackbox-exporter');
  cc.addFile({
    path: BLACKBOX_DEFAULTS_PATH,
    syntax: ConfigSyntax.SHELL,
    content: renderDaemonArgs({ daemon: 'prometheus-blackbox-exporter', args: [`--config.file=${BLACKBOX_CONFIG_PATH}`, `--web.listen-address=${listen}:${BLACKBOX_EXPORTER_PORT}`] }),
  });
  cc.addServices('prometheus-blackbox-exporter');
}

/** Props of {@link BlackboxProbe}. */
export interface BlackboxProbeProps {
  /**
   * The vSwitch the probe sits on: another one than the central server's (another region or
   * availability zone) to see the service from elsewhere. The central server must reach it (a
   * routed network); a probe asking a public entry needs a vSwitch whose router has an external
   * gateway, so its requests leave through the router as a customer's arrive.
   */
  readonly vswitch: IPrivateVSwitch;
  /** The `vantage` label of its results. @default - the construct id in kebab case */
  readonly vantageName?: string;
  /** Flavor. @default Flavor.fromSizing(PROBE_SIZING) */
  readonly flavor?: Flavor;
  /** Host name prefix. @default - the construct id in kebab case */
  readonly hostnamePrefix?: string;
}

/**
 * One server running the blackbox exporter, a vantage point of a {@link CentralMonitoring} (made
 * by its `addProbe`). The exporter listens on the server's planned address; only the central
 * server is admitted to it. Its modules (`blackbox.yml`) are written by the central monitoring at
 * synth, the same on every vantage point.
 */
export class BlackboxProbe extends Construct implements IArchitectureIntent, IConnectable, IVantagePoint {
  /** A probe runs the stack; it serves no user's request. (architecture notes) */
  public readonly architectureIntent: TierIntent = { role: TierRole.OPERATIONS };
  /** The probe server (one instance). */
  public readonly cluster: ServerCluster;
  /** Its network intent. */
  public readonly connections: Connections;
  /** The `vantage` label of its results. */
  public readonly vantageName: string;
  /** `address:9115`: its blackbox exporter. */
  public readonly exporterAddress: string;

  constructor(scope: Construct, id: string, props: BlackboxProbeProps) {
    super(scope, id);
    requireProps(this, props);
    requirePeer(this, 'vswitch', props.vswitch, Kinds.PRIVATE_VSWITCH);
    optionalPeer(this, 'flavor', props.flavor, Kinds.FLAVOR);
    this.vantageName = props.vantageName ?? kebabCase(id);
    this.cluster = new ServerCluster(this, 'Server', {
      vswitch: props.vswitch,
      count: 1,
      flavor: props.flavor ?? Flavor.fromSizing(PROBE_SIZING),
      hostnamePrefix: props.hostnamePrefix ?? kebabCase(id),
    });
    this.connections = this.cluster.connections;
    this.exporterAddress = `${this.instance.address}:${BLACKBOX_EXPORTER_PORT}`;
    installBlackboxExporter(this.instance, this.instance.address);
  }

  /** The probe server's instance. */
  public get instance(): ServerInstance {
    return this.cluster.instances[0];
  }
}
