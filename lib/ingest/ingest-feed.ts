import { IConstruct } from 'constructs';
import { HostingStacksError, requireIntegerInRange } from '../core/errors';
import { requireEnumValue } from '../core/choices';
import { brand, describeValue, hasBrand, requireOptions } from '../core/peers';
import { requireText, TextKind } from '../core/text';

/** The separator of the fields of a feed's CSV files. */
export enum IngestDelimiter {
  COMMA = ',',
  SEMICOLON = ';',
  TAB = '\t',
  PIPE = '|',
}

/** The kinds of {@link SqlType}. */
export enum SqlTypeKind {
  VARCHAR = 'VARCHAR',
  CHAR = 'CHAR',
  INT = 'INT',
  BIGINT = 'BIGINT',
  DECIMAL = 'DECIMAL',
  DATE = 'DATE',
  DATETIME = 'DATETIME',
  TEXT = 'TEXT',
  BOOLEAN = 'BOOLEAN',
}

/** Longest VARCHAR or CHAR a feed column may be: a key of utf8mb4 columns must stay under InnoDB's 3072 bytes. */
export const MAX_INGEST_TEXT_LENGTH = 700;

/**
 * The MariaDB type of a feed column. Made by the factories (`SqlType.varchar(64)`,
 * `SqlType.decimal(10, 2)`); a bad length or precision is kept and reported by the construct that
 * receives the type ({@link SqlType.validate}), so the error names its path.
 */
export class SqlType {
  /** True when `x` is a {@link SqlType} (a `Symbol.for` brand: look-alike objects are not). */
  public static isSqlType(x: unknown): x is SqlType {
    return hasBrand(x, 'SqlType');
  }

  /** `VARCHAR(length)`, 1 to {@link MAX_INGEST_TEXT_LENGTH} characters (utf8mb4). */
  public static varchar(length: number): SqlType {
    return new SqlType(SqlTypeKind.VARCHAR, [length]);
  }

  /** `CHAR(length)`, 1 to 255 characters (utf8mb4). */
  public static char(length: number): SqlType {
    return new SqlType(SqlTypeKind.CHAR, [length]);
  }

  /** `INT` (signed 32-bit). */
  public static int(): SqlType {
    return new SqlType(SqlTypeKind.INT, []);
  }

  /** `BIGINT` (signed 64-bit). */
  public static bigint(): SqlType {
    return new SqlType(SqlTypeKind.BIGINT, []);
  }

  /** `DECIMAL(precision, scale)`: precision 1 to 65, scale 0 to 30 and at most the precision (a price: `decimal(10, 2)`). */
  public static decimal(precision: number, scale: number): SqlType {
    return new SqlType(SqlTypeKind.DECIMAL, [precision, scale]);
  }

  /** `DATE` (`YYYY-MM-DD` in the file). */
  public static date(): SqlType {
    return new SqlType(SqlTypeKind.DATE, []);
  }

  /** `DATETIME` (`YYYY-MM-DD hh:mm:ss` in the file, no time zone). */
  public static datetime(): SqlType {
    return new SqlType(SqlTypeKind.DATETIME, []);
  }

  /** `TEXT` (up to 64 KB); not allowed in a key. */
  public static text(): SqlType {
    return new SqlType(SqlTypeKind.TEXT, []);
  }

  /** `BOOLEAN` (`TINYINT(1)`: 0 or 1 in the file). */
  public static boolean(): SqlType {
    return new SqlType(SqlTypeKind.BOOLEAN, []);
  }

  private constructor(
    /** The kind. */
    public readonly kind: SqlTypeKind,
    /** The parameters as given (length, or precision and scale). */
    public readonly parameters: readonly number[],
  ) {
    brand(this, 'SqlType');
  }

  /** The type as MariaDB reads it: `VARCHAR(64)`, `DECIMAL(10,2)`. */
  public get sql(): string {
    return this.parameters.length ? `${this.kind}(${this.parameters.join(',')})` : this.kind;
  }

  /** Whether a key may hold a column of this type (TEXT may not: InnoDB indexes only a prefix of it). */
  public get keyable(): boolean {
    return this.kind !== SqlTypeKind.TEXT;
  }

  /** Throws a {@link HostingStacksError} naming `scope` and `prop` when a parameter is out of range. */
  public validate(scope: IConstruct, prop: string): void {
    const [a, b] = this.parameters;
    switch (this.kind) {
      case SqlTypeKind.VARCHAR:
        requireIntegerInRange(scope, `${prop} (SqlType.varchar length)`, a, 1, MAX_INGEST_TEXT_LENGTH);
        break;
      case SqlTypeKind.CHAR:
        requireIntegerInRange(scope, `${prop} (SqlType.char length)`, a, 1, 255);
        break;
      case SqlTypeKind.DECIMAL:
        requireIntegerInRange(scope, `${prop} (SqlType.decimal precision)`, a, 1, 65);
        requireIntegerInRange(scope, `${prop} (SqlType.decimal scale)`, b, 0, Math.min(30, a));
        break;
      default:
        break;
    }
  }
}

/** One column of a feed: a field of the CSV files and a column of the table. */
export interface IngestColumn {
  /** Column name, as in the CSV header and the table (a letter or '_', then letters, digits, '_'). */
  readonly name: string;
  /** Its MariaDB type. */
  readonly sqlType: SqlType;
}

/** What the drop accounts upload: CSV files whose header names `columns` in order, loaded into `table`. */
export interface IngestFeed {
  /** The table of the target databases the rows go to (created from this declaration when absent). */
  readonly table: string;
  /** The columns, in the order of the CSV header. The retailer column is not one of them: it is set from the account. */
  readonly columns: readonly IngestColumn[];
  /** The columns that identify a row of one retailer (with the retailer column, the table's primary key). */
  readonly key: readonly string[];
  /** Field separator of the files. @default IngestDelimiter.COMMA */
  readonly delimiter?: IngestDelimiter;
}

/** Most columns a feed may declare. */
export const MAX_INGEST_COLUMNS = 200;

/** Length of the retailer column (`VARCHAR`): a Linux user name has at most 31 characters. */
export const INGEST_RETAILER_LENGTH = 32;

/** The table a batch is loaded into, in the staging database and as a temporary table on each target. */
export const INGEST_BATCH_TABLE = 'hs_ingest_batch';

const SQL_IDENTIFIER = { pattern: /^[A-Za-z_][A-Za-z0-9_]{0,63}$/, allowed: "must be a letter or '_', then letters, digits or '_' (1 to 64)" };

/** A feed whose every value was checked, with its delimiter resolved. */
export interface ResolvedIngestFeed {
  readonly table: string;
  readonly columns: readonly IngestColumn[];
  readonly key: readonly string[];
  readonly delimiter: IngestDelimiter;
}

/**
 * Returns `feed` checked for `scope` (its prop `prop`): an SQL table name, 1 to
 * {@link MAX_INGEST_COLUMNS} columns of unique names (as MariaDB compares them: case-insensitive)
 * other than `retailerColumn`, each with a {@link SqlType}, and a key of distinct declared columns
 * that an index can hold. Each error names the prop (`feed.columns[2].name`), the value and what
 * is allowed.
 */
export function resolveIngestFeed(scope: IConstruct, prop: string, feed: unknown, retailerColumn: string): ResolvedIngestFeed {
  const f = requireOptions<IngestFeed>(scope, prop, feed, ['table', 'columns', 'key', 'delimiter']);
  const table = requireText(scope, `${prop}.table`, f.table, TextKind.IDENTIFIER, SQL_IDENTIFIER);
  if (table.toLowerCase() === INGEST_BATCH_TABLE) {
    throw new HostingStacksError(scope, `${prop}.table`, table, `is the name of the batch table the ingest run loads into; pick another`);
  }
  if (!Array.isArray(f.columns) || f.columns.length === 0 || f.columns.length > MAX_INGEST_COLUMNS) {
    throw new HostingStacksError(scope, `${prop}.columns`, describeValue(f.columns), `must be a list of 1 to ${MAX_INGEST_COLUMNS} columns ({ name, sqlType })`);
  }
  const seen = new Map<string, string>([[retailerColumn.toLowerCase(), 'the retailer column, which the ingest sets from the account']]);
  const columns = f.columns.map((c: unknown, i: number) => {
    const at = `${prop}.columns[${i}]`;
    const column = requireOptions<IngestColumn>(scope, at, c, ['name', 'sqlType']);
    const name = requireText(scope, `${at}.name`, column.name, TextKind.IDENTIFIER, SQL_IDENTIFIER);
    const taken = seen.get(name.toLowerCase());
    if (taken) throw new HostingStacksError(scope, `${at}.name`, name, `is already ${taken} (MariaDB column names are case-insensitive); each column once`);
    seen.set(name.toLowerCase(), `the name of another column`);
    if (!SqlType.isSqlType(column.sqlType)) {
      throw new HostingStacksError(scope, `${at}.sqlType`, describeValue(column.sqlType), "must be a SqlType (SqlType.varchar(64), SqlType.decimal(10, 2), SqlType.int(), ...)");
    }
    column.sqlType.validate(scope, `${at}.sqlType`);
    return { name, sqlType: column.sqlType };
  });
  if (!Array.isArray(f.key) || f.key.length === 0 || f.key.length > 15) {
    throw new HostingStacksError(scope, `${prop}.key`, describeValue(f.key), 'must name 1 to 15 of the columns: what identifies a row of one retailer');
  }
  const key = f.key.map((k: unknown, i: number) => {
    const column = columns.find((c) => typeof k === 'string' && c.name === k);
    if (!column) throw new HostingStacksError(scope, `${prop}.key[${i}]`, k, `must be one of the columns (${columns.map((c) => c.name).join(', ')})`);
    if (!column.sqlType.keyable) throw new HostingStacksError(scope, `${prop}.key[${i}]`, k, `is a ${column.sqlType.sql} column, which a key cannot hold; give it SqlType.varchar(n)`);
    return column.name;
  });
  if (new Set(key).size !== key.length) throw new HostingStacksError(scope, `${prop}.key`, key, 'names a column more than once');
  const delimiter = requireEnumValue(scope, `${prop}.delimiter`, f.delimiter ?? IngestDelimiter.COMMA, IngestDelimiter, 'IngestDelimiter');
  return { table, columns, key, delimiter };
}

/** The SQL of one feed, each statement on one line, as the ingest run sends it. */
export interface IngestSql {
  /** `CREATE TABLE IF NOT EXISTS` of the target table, its primary key the retailer column and the feed's key. */
  readonly createTable: string;
  /** The staging batch table, made anew for each file (no key: duplicates are counted, not refused). */
  readonly createStagingBatch: string;
  /** The same table as a temporary table on a target, filled from the staging copy. */
  readonly createTargetBatch: string;
  /** The columns LOAD DATA fills from the file, in the header's order. */
  readonly loadColumns: string;
  /** The retailer column, quoted, which LOAD DATA sets from the account. */
  readonly retailerColumn: string;
  /** One row: the batch's rows, rows with an empty key, keys found more than once. */
  readonly checks: string;
  /** Up to five keys found more than once, one a line. */
  readonly duplicates: string;
  /** The upsert of the batch into the target table. */
  readonly upsert: string;
}

const quote = (name: string): string => `\`${name}\``;

/** The SQL of `feed` with the retailer column `retailerColumn`; identifiers were checked by {@link resolveIngestFeed}. */
export function ingestSql(feed: ResolvedIngestFeed, retailerColumn: string): IngestSql {
  const table = `ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`;
  const columns = [`${quote(retailerColumn)} VARCHAR(${INGEST_RETAILER_LENGTH}) NOT NULL`, ...feed.columns.map((c) => `${quote(c.name)} ${c.sqlType.sql} NULL`)].join(', ');
  const keyColumns = [retailerColumn, ...feed.key];
  const all = [retailerColumn, ...feed.columns.map((c) => c.name)].map(quote).join(', ');
  const keyList = keyColumns.map(quote).join(', ');
  const valueColumns = feed.columns.map((c) => c.name).filter((c) => !feed.key.includes(c));
  // A feed of key columns only still needs one assignment: the retailer column, unchanged.
  const updates = (valueColumns.length ? valueColumns : [retailerColumn]).map((c) => `${quote(c)} = VALUES(${quote(c)})`).join(', ');
  const emptyKey = feed.key.map((k) => `COALESCE(CAST(${quote(k)} AS CHAR), '') = ''`).join(' OR ');
  return {
    createTable: `CREATE TABLE IF NOT EXISTS ${quote(feed.table)} (${columns}, PRIMARY KEY (${keyList})) ${table};`,
    createStagingBatch: `CREATE OR REPLACE TABLE ${quote(INGEST_BATCH_TABLE)} (${columns}) ${table};`,
    createTargetBatch: `CREATE TEMPORARY TABLE ${quote(INGEST_BATCH_TABLE)} (${columns}) ${table};`,
    loadColumns: feed.columns.map((c) => quote(c.name)).join(', '),
    retailerColumn: quote(retailerColumn),
    checks: `SELECT COUNT(*), COALESCE(SUM(${emptyKey}), 0), (SELECT COUNT(*) FROM (SELECT 1 FROM ${quote(INGEST_BATCH_TABLE)} GROUP BY ${keyList} HAVING COUNT(*) > 1) AS d) FROM ${quote(INGEST_BATCH_TABLE)};`,
    duplicates: `SELECT CONCAT_WS(' / ', ${feed.key.map(quote).join(', ')}), COUNT(*) FROM ${quote(INGEST_BATCH_TABLE)} GROUP BY ${keyList} HAVING COUNT(*) > 1 LIMIT 5;`,
    upsert: `INSERT INTO ${quote(feed.table)} (${all}) SELECT ${all} FROM ${quote(INGEST_BATCH_TABLE)} ON DUPLICATE KEY UPDATE ${updates};`,
  };
}
