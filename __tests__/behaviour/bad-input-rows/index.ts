/** The bad-input table's rows by class, one file a class, concatenated in `bad-input.test.ts`. */
import { ROWS as CHOICES } from './choices';
import { ROWS as INJECTION } from './injection';
import { ROWS as OUTPUT } from './output';
import { ROWS as PEERS } from './peers';
import { ROWS as TERRAFORM } from './terraform';
import { BadInputRow } from '../bad-input-support';

export const ROWS: readonly BadInputRow[] = [...INJECTION, ...TERRAFORM, ...CHOICES, ...PEERS, ...OUTPUT];
