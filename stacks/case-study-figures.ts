/**
 * Figures of case study 5 (Monsieur Déguisement, seeds/004) that the library itself uses as
 * defaults and targets: the balancer sizing, the reference traffic year and the stack all read them
 * from here, so each number stands in one place.
 */
export const MONSIEUR_DEGUISEMENT = {
  /** Up to 4,250 orders a day at peak (case study 5). */
  peakOrdersPerDay: 4250,
  /** 240,000 visitors a day in campaigns (case study 5). */
  campaignVisitorsPerDay: 240000,
  /** Peaks of 1,500 concurrent users per channel (country) (case study 5). */
  concurrentUsersPerCountry: 1500,
  /** 4,000 concurrent users in total (case study 5). */
  concurrentUsersTotal: 4000,
} as const;
