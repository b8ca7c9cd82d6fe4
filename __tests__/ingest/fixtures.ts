import { IngestDelimiter, IngestFeed, SqlType } from '../../lib/ingest/ingest-feed';

/** An ed25519 public key made by ssh-keygen for these tests (the public half only). */
export const ED25519_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIApxsIRRhz25l/Rnm8Z1ONjAM1bnlCivSAiw2U5X4CfA retailer@example';

/** A store-inventory feed: offers of a smartphone in a store, keyed by SKU and store. */
export const OFFERS_FEED: IngestFeed = {
  table: 'offers',
  columns: [
    { name: 'sku', sqlType: SqlType.varchar(64) },
    { name: 'store', sqlType: SqlType.varchar(32) },
    { name: 'price', sqlType: SqlType.decimal(10, 2) },
    { name: 'stock', sqlType: SqlType.int() },
    { name: 'picture_url', sqlType: SqlType.text() },
  ],
  key: ['sku', 'store'],
  delimiter: IngestDelimiter.SEMICOLON,
};

