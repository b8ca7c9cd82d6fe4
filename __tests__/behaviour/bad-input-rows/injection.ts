import { BadInputRow } from '../bad-input-support';

/** Bad input of issue 10's class 'injection'. */
export const ROWS: readonly BadInputRow[] = [];
