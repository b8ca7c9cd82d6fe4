import { IConstruct } from 'constructs';
import { renderTemplate } from '../config/template';
import { HostingStacksError } from '../core/errors';
import { brand, brandedKind, requireFactoryOptions, requirePeer } from '../core/peers';
import { checkText, TextKind } from '../core/text';
import { quoted } from './prometheus-files';

/** Kinds of {@link AlertReceiver}. */
export enum AlertReceiverKind {
  /** Kept by Alertmanager (UI and API), sent nowhere. */
  NONE = 'none',
  /** POSTed as JSON to a URL (Alertmanager's webhook format). */
  WEBHOOK = 'webhook',
  /** Mailed through a relay. */
  EMAIL = 'email',
}

/** Options of {@link AlertReceiver.webhook}. */
export interface WebhookReceiverOptions {
  /** Also send when an alert resolves. @default true */
  readonly sendResolved?: boolean;
}

/** Options of {@link AlertReceiver.email}. */
export interface EmailReceiverOptions {
  /** Who receives the alerts. */
  readonly to: string;
  /** The sender address. */
  readonly from: string;
  /** The relay, `host:port` (a host name or IPv4 address); Alertmanager does not authenticate to it. */
  readonly smarthost: string;
  /** Refuse to send unless the relay offers STARTTLS. @default true */
  readonly requireTls?: boolean;
  /** Also send when an alert resolves. @default true */
  readonly sendResolved?: boolean;
}

const SMARTHOST_RE = /^([A-Za-z0-9.-]+):(\d{1,5})$/;

/**
 * Where Alertmanager sends alerts: nowhere ({@link AlertReceiver.none}, the default of a monitoring
 * server), a webhook, or e-mail through a relay. A bad option is kept and reported by the construct
 * that receives the receiver ({@link AlertReceiver.validate}), so the error names its path.
 */
export class AlertReceiver {
  /** Alerts stay in Alertmanager, seen in its UI and API (`amtool alert`); nothing is sent. */
  public static none(): AlertReceiver {
    return new AlertReceiver(AlertReceiverKind.NONE, {});
  }

  /** POSTs every notification to `url` (http or https). */
  public static webhook(url: string, options: WebhookReceiverOptions = {}): AlertReceiver {
    options = requireFactoryOptions<WebhookReceiverOptions>('AlertReceiver.webhook', options, ['sendResolved']);
    const problem = checkText(url, TextKind.HTTP_URL);
    return new AlertReceiver(AlertReceiverKind.WEBHOOK, { url, sendResolved: options.sendResolved ?? true }, problem ? { option: 'url', value: url, rule: problem } : undefined);
  }

  /** Mails every notification to `to` through `smarthost`. */
  public static email(options: EmailReceiverOptions): AlertReceiver {
    options = requireFactoryOptions<EmailReceiverOptions>('AlertReceiver.email', options, ['to', 'from', 'smarthost', 'requireTls', 'sendResolved']);
    const problem = (['to', 'from'] as const).map((k) => ({ option: k, value: options[k], rule: checkText(options[k], TextKind.EMAIL) })).find((p) => p.rule !== undefined);
    const host = SMARTHOST_RE.exec(String(options.smarthost));
    const badHost = !host || checkText(host[1], TextKind.HOST_NAME) !== undefined || Number(host[2]) < 1 || Number(host[2]) > 65535;
    return new AlertReceiver(AlertReceiverKind.EMAIL, {
      to: options.to,
      from: options.from,
      smarthost: options.smarthost,
      requireTls: options.requireTls ?? true,
      sendResolved: options.sendResolved ?? true,
    }, problem ? { option: problem.option, value: problem.value, rule: problem.rule! } : badHost ? { option: 'smarthost', value: options.smarthost, rule: "must be 'host:port' (a host name or IPv4 address, a port from 1 to 65535)" } : undefined);
  }

  private constructor(
    /** The kind. */
    public readonly kind: AlertReceiverKind,
    /** The settings of the kind (URL, addresses, relay). */
    public readonly settings: Readonly<Record<string, string | boolean>>,
    private readonly problem?: { readonly option: string; readonly value: unknown; readonly rule: string },
  ) {
    brand(this, 'AlertReceiver');
  }

  /**
   * Throws a {@link HostingStacksError} naming `scope` and `prop` when `value` is not an
   * AlertReceiver or one of its options is bad; returns the receiver otherwise.
   */
  public static check(scope: IConstruct, prop: string, value: unknown): AlertReceiver {
    const receiver = requirePeer(scope, prop, value, ALERT_RECEIVER_KIND);
    if (receiver.problem) throw new HostingStacksError(scope, `${prop}.${receiver.problem.option}`, receiver.problem.value, receiver.problem.rule);
    return receiver;
  }
}

const ALERT_RECEIVER_KIND = brandedKind<AlertReceiver>('AlertReceiver', "an AlertReceiver (AlertReceiver.none(), AlertReceiver.webhook(url) or AlertReceiver.email({ to, from, smarthost }))");

/** Model of a notification `alertmanager.yml`. */
export interface NotificationAlertmanagerConfig {
  /** Where every alert goes. */
  readonly receiver: AlertReceiver;
  /** Where alerts labelled `severity="critical"` go. */
  readonly criticalReceiver: AlertReceiver;
}

/** Seconds before a new group's first notification. */
export const NOTIFY_GROUP_WAIT_SECONDS = 30;
/** Hours between two notifications of a still-firing warning group. */
export const WARNING_REPEAT_HOURS = 4;
/** Hours between two notifications of a still-firing critical group. */
export const CRITICAL_REPEAT_HOURS = 1;

function receiverModel(name: string, r: AlertReceiver) {
  const s = r.settings;
  return {
    name: quoted(name),
    webhook: r.kind === AlertReceiverKind.WEBHOOK ? { url: quoted(String(s.url)), sendResolved: s.sendResolved } : undefined,
    email: r.kind === AlertReceiverKind.EMAIL
      ? { to: quoted(String(s.to)), from: quoted(String(s.from)), smarthost: quoted(String(s.smarthost)), requireTls: s.requireTls, sendResolved: s.sendResolved }
      : undefined,
  };
}

/**
 * Renders `alertmanager.yml` for people (`amtool check-config`): every alert to the `default`
 * receiver, grouped by alert name and check (or instance), critical alerts to `critical` (the same
 * receiver unless another is given) and repeated more often.
 */
export function renderNotificationAlertmanagerConfig(model: NotificationAlertmanagerConfig): string {
  const separate = model.criticalReceiver !== model.receiver;
  const receivers = [receiverModel('default', model.receiver), ...(separate ? [receiverModel('critical', model.criticalReceiver)] : [])];
  return renderTemplate('alertmanager-notify.yml.hbs', {
    groupWait: `${NOTIFY_GROUP_WAIT_SECONDS}s`,
    warningRepeat: `${WARNING_REPEAT_HOURS}h`,
    criticalRepeat: `${CRITICAL_REPEAT_HOURS}h`,
    criticalReceiver: quoted(separate ? 'critical' : 'default'),
    critical: quoted('severity="critical"'),
    receivers,
  });
}
