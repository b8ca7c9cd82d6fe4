import { Construct } from 'constructs';
import { snakeCasePath } from '../../lib/core/naming';
import { stableOutput } from '../../lib/core/outputs';
import { synthJson, testStack } from '../support/synth';

describe('stableOutput', () => {
  test('given a snake_case name, when synthesized, then the output has exactly that name, with its value and description', () => {
    const stack = testStack();
    stableOutput(stack, 'Address', 'site_public_address', { value: '192.0.2.1', description: 'where the site is' });
    expect(synthJson(stack).output).toEqual({ site_public_address: { value: '192.0.2.1', description: 'where the site is' } });
  });

  test('given a name that is not snake_case, then it throws naming the scope, the prop and the value', () => {
    const stack = testStack();
    expect(() => stableOutput(stack, 'Address', 'Site-Address', { value: 'x' })).toThrow(/^test: 'name' \('Site-Address'\) must be snake_case/);
  });

  test('given a name another output of the stack already has, then it throws naming that output', () => {
    const stack = testStack();
    stableOutput(new Construct(stack, 'A'), 'Address', 'site_public_address', { value: 'x' });
    expect(() => stableOutput(new Construct(stack, 'B'), 'Address', 'site_public_address', { value: 'y' }))
      .toThrow(/^test\/B: 'name' \('site_public_address'\) is already the name of the output test\/A\/Address/);
  });
});

describe('snakeCasePath', () => {
  test('given nested ids in PascalCase and upper case, then it joins the path below the stack in snake case', () => {
    const stack = testStack();
    expect(snakeCasePath(new Construct(new Construct(stack, 'OrderTracking'), 'ES'))).toBe('order_tracking_es');
  });
});
