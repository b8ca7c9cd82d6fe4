/** Keys made with `wg genkey` / `wg pubkey` for these tests only. */
export const TEST_KEYS = {
  gatewayPrivate: '4LdGtFcgAKt4wdoISqoEGtJwWABB3xSdCOcoR96vxEo=',
  madrid: 'fVnt/JL/nZH6hB6gcPCFUpzyBV+z9V6DE57xqKa1Lns=',
  valencia: 'mitJobQQnlxqNwTjcRi9zN1mOXxlM29kH9tEworuLC0=',
  paris: 'pAoc8kF0p2pmQOfKOQzUwDmvSLE/RznSJ7+SQxoawWY=',
} as const;
