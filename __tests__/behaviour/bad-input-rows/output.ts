import { BadInputRow } from '../bad-input-support';

/** Bad input of issue 10's class 'output'. */
export const ROWS: readonly BadInputRow[] = [];
