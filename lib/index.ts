/**
 * `hosting-stacks`: the constructs, their props and the value types a stack is built from (ports,
 * peers, secrets, flavors, images, health checks, schedules, the policy pack and its rules).
 *
 * The rest has entry points of its own: `hosting-stacks/renderers` (every daemon config renderer),
 * `hosting-stacks/planning` (campaign planning: demand traces, the simulator, the demand chart),
 * `hosting-stacks/testing` (checks for your tests), `hosting-stacks/rollout` (the rollout, as a
 * library) and `hosting-stacks/lab` (the lab). What no entry point exports is internal.
 *
 * Modules that hold only constructs and what their props take are re-exported whole (`export *`):
 * a new construct or value class there is exported as soon as it is written. Modules that also
 * hold renderers, defaults or helpers are re-exported by name.
 */

// Errors, network intent and the values constructs share.
export { HostingStacksError, HostingStacksToolError, SynthValidationError } from './core/errors';
export * from './core/port';
export { Connections, Peer, TrafficSource, TrafficSourceKind } from './core/connections';
export type { ConnectionsProps, IConnectable, IngressRule } from './core/connections';
export * from './core/secret';
export * from './core/endpoints';
export { dataKindOf, declareDataKind } from './core/peers';

// Network.
export * from './network/external-network';
export * from './network/router';
export { SiteDns, SiteDnsKind, SiteFailover } from './balancing/site-failover';
export type { SiteEntry, SiteFailoverProps } from './balancing/site-failover';
export { NetworkZone, PrivateVSwitch } from './network/private-vswitch';
export { SiteInterconnect } from './network/site-interconnect';
export type { SiteInterconnectProps } from './network/site-interconnect';
export type { AddressAllocation, IPrivateVSwitch, PlannedPort, PortOptions, PrivateVSwitchProps } from './network/private-vswitch';

// Compute.
export { Flavor, FlavorFamily, OVH_FLAVOR_CATALOG, sizingFromGhz } from './compute/flavor';
export type { FlavorSpec, Sizing } from './compute/flavor';
export * from './compute/machine-image';
export * from './compute/key-pair';
export { CloudConfig, ConfigSyntax } from './compute/cloud-config';
export type { CloudConfigOptions, HostFile, RenderOptions } from './compute/cloud-config';
export { ServerCluster, ServerGroupPolicy, ServerInstance } from './compute/server-cluster';
export { OVH_PARIS_3AZ_REGION, OVH_PARIS_3AZ_ZONES, Site } from './compute/site';
export type { SiteProps } from './compute/site';
export type { ClusterCounts, DataKind, IServerTier, ServerClusterProps, TierWorkers } from './compute/server-cluster';
export { Machines } from './compute/machines';
export type { MachinesProps } from './compute/machines';

// Storage, VPN, databases, caches, search.
export * from './storage/nfs';
export { NfsBackend, SharedFiles } from './storage/shared-files';
export type { NfsClientAccess, SharedFilesProps } from './storage/shared-files';
export { OfficeVpn, VpnKind } from './vpn/office-vpn';
export type { OfficeFlow, OfficePeer, OfficeVpnProps, ResolvedOfficePeer } from './vpn/office-vpn';
export { MysqlReplication } from './database/mysql-replication';
export type { MysqlReplicationProps } from './database/mysql-replication';
export { GALERA_QUORUM, GaleraCluster, GaleraSiteEndpoint } from './database/galera-cluster';
export type { GaleraClusterProps, GaleraHealthCheck } from './database/galera-cluster';
export { RedisAppendFsync, RedisEvictionPolicy } from './cache/redis-config';
export { RedisServer } from './cache/redis-server';
export type { RedisServerProps } from './cache/redis-server';
export { RedisInstance } from './cache/redis-instance';
export type { RedisInstanceProps } from './cache/redis-instance';
export { MemcachedPool } from './cache/memcached-pool';
export type { MemcachedPoolProps } from './cache/memcached-pool';
export { ClientDatabases } from './database/client-databases';
export type { ClientDatabaseHost, ClientDatabaseSize, ClientDatabasesProps } from './database/client-databases';
export { ClientMigrations } from './database/client-migrations';
export type { ClientMigrationsProps } from './database/client-migrations';
export { SolrServer } from './search/solr-server';
export type { SolrServerProps } from './search/solr-server';

// Balancing (whole modules: balancers and their value classes grow here), TLS and load shedding.
export * from './balancing/health-check';
export { LvsForwarding, LvsScheduler, VrrpState } from './balancing/keepalived-config';
export { DEFAULT_ADVERT_INTERVAL_SECONDS, DEFAULT_VRRP_INTERFACE, DEFAULT_VRRP_SIZING, VRRP_NODE_COUNT, VRRP_PREFERRED_PRIORITY, VRRP_STANDBY_PRIORITY, VrrpPair } from './balancing/vrrp-pair';
export type { VrrpPairOptions, VrrpPairProps } from './balancing/vrrp-pair';
export { DEFAULT_LVS_INTERFACE, DEFAULT_LVS_SIZING, LVS_NODE_COUNT, LVS_PREFERRED_PRIORITY, LVS_STANDBY_PRIORITY, LvsBalancer } from './balancing/lvs-balancer';
export type { LvsBalancerProps, LvsTargetOptions, LvsVirtualService } from './balancing/lvs-balancer';
export { CONNECTIONS_PER_USER, CONNECTION_HEADROOM, DEFAULT_CONCURRENT_USERS_PER_COUNTRY, ENTRY_TIMEOUTS } from './balancing/http-balancer';
export type { EntryTimeouts, HttpTarget, HttpTargetOptions, IForwardedProtoTrusting, IHttpEntryBalancer } from './balancing/http-balancer';
export { HaproxyBalancer, HSTS_MAX_AGE_SECONDS, HTTPS_PORT } from './balancing/haproxy-balancer';
export type { HaproxyBalancerProps, HaproxyDatabaseOptions, HaproxyDatabaseRoute, HaproxyTarget, HaproxyTls, HaproxyTlsOptions } from './balancing/haproxy-balancer';
export * from './balancing/octavia-balancer';
export * from './balancing/country-entrances';
export { DEFAULT_RETRY_AFTER_SECONDS, LoadShedding, MAGENTO1_ORDERING_PATHS, MAGENTO1_SESSION_COOKIE, MiniSite, MiniSiteKind } from './balancing/load-shedding';
export type { BuiltinPageOptions, LoadSheddingOptions, MiniSiteBackendOptions } from './balancing/load-shedding';
export { CachedPaths, CacheKey, MAGENTO1_PRIVATE_PATHS } from './balancing/response-cache';
export type { CacheValidity, ResponseCache, ResponseCacheOptions } from './balancing/response-cache';

// Web, application and Magento tiers.
export { WebTier } from './web/web-tier';
export type { WebTierProps, WebTierTls, WebTierTlsOptions } from './web/web-tier';
export { StaticContentServer } from './web/static-content-server';
export type { StaticContentServerProps, StaticContentTls, StaticContentTlsOptions, StaticOriginEntry } from './web/static-content-server';
export { AppTier } from './app/app-tier';
export type { AppTierProps } from './app/app-tier';
export { OrderTracking } from './app/order-tracking';
export type { BpmArchive, OrderTrackingProps } from './app/order-tracking';
export { BackOffice } from './app/back-office';
export type { BackOfficeProps } from './app/back-office';
export { DeploymentServer } from './app/deployment-server';
export type { DeploymentServerProps, DeployRecipe } from './app/deployment-server';
export { PhpFpmProcessManager, PhpVersion } from './magento/magento-config';
export { MagentoCode, MagentoFrontends } from './magento/magento-frontends';
export type { MagentoAdminProps, MagentoFrontendsProps } from './magento/magento-frontends';

// Backups.
export { BackupSchedule, Weekday } from './backup/backup-schedule';
export type { ResolvedBackupSchedule } from './backup/backup-schedule';
export { BackupPolicy, VeeamBackup } from './backup/veeam-backup';
export type { BackupPolicyOptions, BackupTarget, VeeamBackupProps } from './backup/veeam-backup';

// Worker daemons: a broker, a manager and a daemon per task category.
export { TaskBroker } from './workers/task-broker';
export type { TaskBrokerProps } from './workers/task-broker';
export { WorkerDaemons } from './workers/worker-daemons';
export type { ResolvedWorkerCategory, TaskDefinition, WorkerCategory, WorkerDaemonsProps } from './workers/worker-daemons';

// Scaling: the rules, what they read and the engines that run them (planning tools: `hosting-stacks/planning`).
export * from './scaling/scaling-model';
export { CampaignCalendar } from './scaling/campaign-calendar';
export type { ActiveDemand, Campaign, CampaignCalendarProps, CampaignDemand, CampaignProps, DemandSegment } from './scaling/campaign-calendar';
export { CapacityModel } from './scaling/capacity-model';
export type { CapacityModelProps } from './scaling/capacity-model';
export { ReactiveRule } from './scaling/reactive-rule';
export type { ReactiveRuleOptions } from './scaling/reactive-rule';
export * from './scaling/scaling-rules';
export { ScalingEngine } from './scaling/scaling-engine';
export { PrometheusScaling } from './scaling/prometheus-scaling';
export { CountApplier } from './scaling/count-applier';
export { PrometheusServer } from './monitoring/prometheus-server';
export type { MonitoredTier, PrometheusServerBaseProps, PrometheusServerProps } from './monitoring/prometheus-server';
export { CentralMonitoring } from './monitoring/central-monitoring';
export type { CentralMonitoringProps, CheckOptions, HttpCheckOptions, ProbeCheck, TcpCheckOptions } from './monitoring/central-monitoring';
export { BlackboxProbe } from './monitoring/blackbox-probe';
export type { BlackboxProbeProps, IVantagePoint } from './monitoring/blackbox-probe';
export { AlertReceiver, AlertReceiverKind } from './monitoring/alert-routing';
export type { EmailReceiverOptions, WebhookReceiverOptions } from './monitoring/alert-routing';
export { HttpCheckMethod } from './monitoring/blackbox-config';
export { TrafficBudget, TrafficEnd, TrafficShare } from './scaling/traffic-budget';
export { CLOSED_DROP_CIDR, IngestServers } from './ingest/ingest-servers';
export type { IngestServersProps, SftpDropAccount } from './ingest/ingest-servers';
export { IngestDelimiter, SqlType } from './ingest/ingest-feed';
export type { IngestColumn, IngestFeed } from './ingest/ingest-feed';
export type { ServerTraffic, TrafficBudgetProps, TrafficFlow, TrafficFlowOptions } from './scaling/traffic-budget';
export type { PrometheusScalingProps } from './scaling/prometheus-scaling';
export type { GithubWorkflowApplierProps, MonitoringServerApplierProps } from './scaling/count-applier';
export * from './scaling/heat-autoscaling';

// The policy pack and its rules (whole modules).
export * from './policy/policy-rule';
export * from './policy/policy-pack';
export { DATA_ISOLATION_RULE, DATA_ISOLATION_RULE_ID } from './policy/rules/data-isolation';
export * from './policy/rules/ssh-access';
export { VRRP_PAIRS_RULE, VRRP_PAIRS_RULE_ID } from './policy/rules/vrrp-pairs';
export { PORT_SECURITY_RULE, PORT_SECURITY_RULE_ID } from './policy/rules/port-security';
export * from './policy/rules/backup-coverage';
export { PLAIN_TEXT_SECRETS_RULE, PLAIN_TEXT_SECRETS_RULE_ID } from './policy/rules/plain-text-secrets';
export { TLS_INTERMEDIATE_RULE, TLS_INTERMEDIATE_RULE_ID } from './policy/rules/tls-intermediate';

// Cost: a stack's month at the baseline and each campaign's extra, from the dated price table (renderers: `hosting-stacks/renderers`).
export { COST_JSON_FILE, COST_TABLE_FILE, CostCategory, HOURS_PER_MONTH, stackCostOf } from './cost/stack-cost';
export type { CampaignCost, CampaignTierCost, CostLine, NotPricedItem, StackCost, StackCostOptions } from './cost/stack-cost';
export { OVH_PRICE_TABLE } from './cost/price-table';
export type { OvhPriceTable, OvhSize, UnitPrice } from './cost/price-table';

// Architecture: the model read from the constructs, single points of failure, modelled availability (renderers: `hosting-stacks/renderers`).
export { architectureOf, FlowPurpose, RedundancyKind, TierRole } from './architecture/architecture-model';
export type { IArchitectureIntent, TierIntent } from './core/architecture-intent';
export type { ArchitectureExternal, ArchitectureFlow, ArchitectureModel, ArchitectureTier, ArchitectureZone, TierRedundancy } from './architecture/architecture-model';
export { assessAvailability, atLeastKOfN, DEFAULT_AVAILABILITY_ASSUMPTIONS } from './architecture/availability';
export type { AvailabilityAssessment, AvailabilityAssumptions, SinglePointOfFailure, TierAvailability } from './architecture/availability';
export { ARCHITECTURE_JSON_FILE, ARCHITECTURE_NOTES_FILE, ARCHITECTURE_SVG_FILE } from './architecture/architecture-notes';
export type { ReportedAvailability } from './architecture/architecture-notes';

// The stack and the app.
export * from './stack/hosting-stack';
export * from './stack/state-backend';
