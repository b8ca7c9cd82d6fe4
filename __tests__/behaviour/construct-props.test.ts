import { Construct } from 'constructs';
import * as lib from '../../lib';
import { HostingApp, HostingStack, HostingStacksError } from '../../lib';

/**
 * Issue 10, class 5 at the root: every construct class the package exports, given props a
 * JavaScript caller can pass (none, null, a string, a number, an array), throws a
 * HostingStacksError naming its path and 'props' (or the first prop it needs) instead of a
 * TypeError, or accepts them when all its props are optional. New constructs are covered by
 * being exported.
 */
const constructClasses = Object.entries(lib)
  .filter(([, v]) => typeof v === 'function' && (v as { prototype?: unknown }).prototype instanceof Construct)
  .filter(([name]) => !['HostingApp', 'HostingStack'].includes(name))
  .map(([name, v]) => [name, v as new (scope: Construct, id: string, props?: unknown) => Construct] as const);

/** Constructs whose every prop is optional: no props (or `{}`) is a valid call. */
const ALL_OPTIONAL = ['Connections', 'Router', 'KeyPair', 'CampaignCalendar'];

describe('every exported construct, given props of the wrong kind', () => {
  test('the package exports construct classes to check', () => {
    expect(constructClasses.length).toBeGreaterThanOrEqual(30);
  });

  describe.each(constructClasses)('%s', (name, ConstructClass) => {
    const build = (props: unknown) => {
      const app = new HostingApp({ outdir: '/nonexistent-never-written' });
      const stack = new HostingStack(app, 'shop');
      return () => new ConstructClass(stack, 'C', props);
    };

    test.each([['a string', 'x'], ['null', null], ['a number', 42], ['an array', []]])('given %s as props, then it throws a HostingStacksError naming shop/C', (_what, props) => {
      expect(build(props)).toThrow(HostingStacksError);
      expect(build(props)).toThrow(/^shop\/C(\/[A-Za-z0-9]+)*: '[A-Za-z.[\]0-9]+' /);
    });

    test('given no props, then it throws a HostingStacksError or accepts them when all are optional', () => {
      if (ALL_OPTIONAL.includes(name)) {
        expect(build(undefined)).not.toThrow();
        expect(build({})).not.toThrow();
      } else {
        expect(build(undefined)).toThrow(HostingStacksError);
        expect(build({})).toThrow(HostingStacksError);
      }
    });
  });
});
