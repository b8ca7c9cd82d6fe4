import { BadInputRow } from '../bad-input-support';

/** Bad input of issue 10's class 'terraform'. */
export const ROWS: readonly BadInputRow[] = [];
