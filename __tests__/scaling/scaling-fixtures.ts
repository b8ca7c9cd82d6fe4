import { Testing } from 'cdktf';
import { AppTier } from '../../lib/app/app-tier';
import { Flavor, sizingFromGhz } from '../../lib/compute/flavor';
import { PrivateVSwitch } from '../../lib/network/private-vswitch';
import { HostingApp, HostingStack } from '../../lib/stack/hosting-stack';
import { WebTier } from '../../lib/web/web-tier';

// 2 web servers 2 GHz, 2 GB RAM, 40 GB disk; 2 app servers 4 GHz, 8 GB, 30 GB (case study 2)
export const WEB_SIZING = sizingFromGhz(2, 2, 40);
export const APP_SIZING = sizingFromGhz(4, 8, 30);

/** A stack with a scalable app tier (2 .. 10, baseline 2) and a scalable web tier (2 .. 6) in front of it. */
export function scalableStack(app: HostingApp | ReturnType<typeof Testing.app> = Testing.app(), id = 'shop', appCounts = { count: 2, minCount: 2, maxCount: 10 }) {
  const stack = new HostingStack(app, id);
  const vswitch = new PrivateVSwitch(stack, 'Net', { cidr: '10.0.1.0/24' });
  const appTier = new AppTier(stack, 'App', { vswitch, flavor: Flavor.fromSizing(APP_SIZING), ...appCounts });
  const web = new WebTier(stack, 'Web', { vswitch, count: 2, minCount: 2, maxCount: 6, flavor: Flavor.fromSizing(WEB_SIZING), upstream: appTier });
  return { stack, vswitch, appTier, web };
}

/** ms of a UTC ISO string. */
export const utc = (iso: string): Date => new Date(iso);
