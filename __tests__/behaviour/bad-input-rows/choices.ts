import { BadInputRow } from '../bad-input-support';

/** Bad input of issue 10's class 'choices'. */
export const ROWS: readonly BadInputRow[] = [];
