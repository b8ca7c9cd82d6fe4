/**
 * `hosting-stacks/renderers`: every file the constructs render, as pure functions of a plain model
 * (`renderHaproxyConfig(model): string`), with their model types, and the handlebars renderer they
 * share (`renderTemplate`). The constructs call them at synth; call them yourself to render one
 * config outside a stack, or to check a model in a unit test.
 */

// Templates, XML and cloud-init.
export { renderTemplate, TemplateInjectionError } from './config/template';
export type { RenderTemplateOptions } from './config/template';
export { escapeXml } from './config/xml';
export { base64Length, configDigestOf, FAILED_MARKER, readinessCommand, READY_MARKER, USER_DATA_MAX_BASE64 } from './compute/cloud-config';
export { renderNicScript, renderNicUnit } from './compute/nic-resolution';
export type { NicResolutionModel } from './compute/nic-resolution';
export { renderMetadataGuardRuleset, renderMetadataGuardUnit } from './compute/metadata-guard';
export type { MetadataGuardModel } from './compute/metadata-guard';
export { renderCountedTargetsConfig, renderCountedTargetsScript, renderCountedTargetsTimer, renderCountedTargetsUnit } from './compute/counted-targets';
export type { CountedTarget, CountedTargetsConfig } from './compute/counted-targets';

// Firewalls and balancers: nftables, keepalived (VRRP, LVS), HAProxy.
export { renderNftablesRuleset } from './security/nftables-firewall';
export type { NftablesModel, NftablesRule } from './security/nftables-firewall';
export { LvsForwarding, LvsScheduler, renderKeepalivedConfig, VrrpState } from './balancing/keepalived-config';
export type {
  KeepalivedCheckModel,
  KeepalivedConfigModel,
  KeepalivedRealServerModel,
  KeepalivedVirtualServerModel,
  KeepalivedVrrpInstanceModel,
  KeepalivedVrrpScriptModel,
} from './balancing/keepalived-config';
export { renderLvsNatReplyRouteUnit, renderLvsSysctlConfig, renderLvsVipUnit } from './balancing/lvs-balancer';
export type { LvsNatReplyRouteModel, LvsSysctlModel, LvsVipUnitModel } from './balancing/lvs-balancer';
export { renderNginxCacheConfig } from './balancing/cache-nginx-config';
export type { NginxCacheConfigModel, NginxCacheModel, NginxCacheTimeoutsModel, NginxCacheValidityModel } from './balancing/cache-nginx-config';
export { haproxyHealthCheckModel, renderHaproxyConfig } from './balancing/haproxy-config';
// What the balancer constructs render with: haproxy's and the cache nginx's paths, scripts and defaults.
export {
  CACHE_HEALTH_PATH, CACHE_HEALTH_SOCKET, CACHE_NGINX_USER, CACHE_PATH, CACHE_TRUSTED_PROXY, CACHE_UPSTREAM_ADDRESS,
  HAPROXY_ALPN, HAPROXY_CERTIFICATE_PATH, HAPROXY_DATABASE_TIMEOUTS, HAPROXY_GLOBAL_MAXCONN_MARGIN, HAPROXY_RETRIES,
  HAPROXY_STATS_SOCKET, HAPROXY_TLS_BIND_OPTIONS, HAPROXY_TRACK_SCRIPT, HAPROXY_VRRP_SCRIPT, NGINX_TRACK_SCRIPT, NGINX_VRRP_SCRIPT,
} from './balancing/haproxy-balancer';
export { BUILTIN_PAGE_STATUS, MINI_SITE_BACKEND, ORDERING_PRIORITY_CLASS } from './balancing/load-shedding';
export { NFTABLES_CONFIG_PATH } from './policy/rules/port-security';
export type {
  HaproxyConfigModel,
  HaproxyDatabaseModel,
  HaproxyDatabaseServerModel,
  HaproxyDatabaseTimeoutsModel,
  HaproxyHealthCheckModel,
  HaproxyLoadSheddingModel,
  HaproxyMiniSiteModel,
  HaproxyServerModel,
  HaproxyTimeoutsModel,
  HaproxyTlsModel,
} from './balancing/haproxy-config';

// VPN and NFS.
export { renderWireguardConfig, renderWireguardNatTable, renderWireguardSysctl } from './vpn/wireguard-config';
export type { WireguardInterfaceModel, WireguardNatModel, WireguardPeerModel, WireguardSysctlModel } from './vpn/wireguard-config';
export { renderNfsAutomountUnit, renderNfsExports, renderNfsMountUnit, renderNfsServerConf } from './storage/nfs-config';
export type { NfsAutomountUnitModel, NfsExport, NfsExportClient, NfsExportsModel, NfsMountUnitModel, NfsServerConfModel } from './storage/nfs-config';

// Databases, caches, search.
export { bufferPoolMbForRam, MariadbRole, mariadbConnectionLimits, mariadbConnectionsForRam, renderMariadbBootstrapScript, renderMariadbConfig } from './database/mariadb-config';
export type {
  MariadbBootstrapModel,
  MariadbConfigModel,
  MariadbConnectionLimits,
  MariadbConnectionTerm,
  MariadbPrimaryBootstrapModel,
  MariadbReplicaBootstrapModel,
} from './database/mariadb-config';
export {
  mariadbRoleCheckAccountSql,
  renderMariadbRoleCheckScript,
  renderMariadbRoleCheckService,
  renderMariadbRoleCheckSocket,
  renderMariadbRoleCheckSysusers,
} from './database/mariadb-role-check';
export type { MariadbRoleCheckScriptModel, MariadbRoleCheckServiceModel, MariadbRoleCheckSocketModel } from './database/mariadb-role-check';
export { RedisAppendFsync, RedisEvictionPolicy, renderRedisAuthConfig, renderRedisConfig } from './cache/redis-config';
export type { RedisConfig } from './cache/redis-config';
export { renderSolrCreateCoreScript, renderSolrInSh, renderSolrInstallScript, solrHeapMbForRam } from './search/solr-config';
export type { SolrCreateCoreScriptModel, SolrInShModel, SolrInstallScriptModel } from './search/solr-config';

// Ingest: SFTP drops, the ingest run and its staging database.
export {
  authorizedKeysOf,
  ingestStagingAccountSql,
  renderIngestConfig,
  renderIngestScript,
  renderIngestService,
  renderIngestSetupScript,
  renderIngestStagingConfig,
  renderIngestSysusers,
  renderIngestTimer,
  renderSftpDropConfig,
} from './ingest/ingest-config';
export type { IngestConfigModel, IngestServiceModel, IngestSetupModel, IngestSysusersModel, IngestTargetModel, SftpDropConfigModel } from './ingest/ingest-config';
export { ingestSql } from './ingest/ingest-feed';
export type { IngestSql } from './ingest/ingest-feed';

// Web servers and application servers: Apache, NGINX, Tomcat, WildFly, PHP-FPM, Magento.
export { apacheMpmLimitsForRam, renderApacheConfig } from './web/apache-config';
export type { ApacheBalancer, ApacheBalancerMember, ApacheConfig, ApacheMemberHealthCheck, ApacheMpmEventLimits, ApacheTlsModel } from './web/apache-config';
export { renderNginxConfig } from './web/nginx-config';
export type { NginxOpenFileCache, NginxStaticConfigModel, NginxTlsModel } from './web/nginx-config';
export { renderTomcatContextXml, renderTomcatDefaults, renderTomcatHealthJsp, renderTomcatHealthWebXml, renderTomcatServerXml } from './app/tomcat-config';
export type { TomcatContextConfig, TomcatDataSource, TomcatDefaultsConfig, TomcatHealthWebXmlConfig, TomcatServerConfig } from './app/tomcat-config';
export { renderWildflyDatasource, renderWildflyInstallScript, renderWildflyServiceUnit, renderWildflyStandaloneConf } from './app/wildfly-config';
export type { WildflyDatasourceModel, WildflyDeploymentArchiveModel, WildflyInstallModel, WildflyServiceModel, WildflyStandaloneConfModel } from './app/wildfly-config';
export { backOfficePhpChildrenForRam, renderBackOfficeNginxConfig, renderBackOfficePhpFpmConfig } from './app/back-office-config';
export type { BackOfficeNginxModel, BackOfficePhpFpmModel } from './app/back-office-config';
export { renderDeployCatchUpUnits, renderDeployScript, renderDeploySudoers } from './app/deployment-server';
export {
  PhpFpmProcessManager,
  phpFpmSizingForRam,
  PhpVersion,
  renderMagentoApacheConfig,
  renderMagentoHealthScript,
  renderMagentoInstallPath,
  renderMagentoInstallScript,
  renderMagentoInstallService,
  renderMagentoLocalXml,
  renderMagentoPhpIni,
  renderMagentoReleaseScript,
  renderPhpFpmConfig,
  renderPhpFpmPoolConfig,
} from './magento/magento-config';
export type {
  MagentoAdminUser,
  MagentoApacheConfig,
  MagentoHealthScript,
  MagentoInstallScript,
  MagentoInstallUnits,
  MagentoLocalXml,
  MagentoPhpIni,
  MagentoRedisConnection,
  MagentoReleaseScript,
  OpcacheConfig,
  PhpFpmConfig,
  PhpFpmPoolConfig,
  PhpFpmSizing,
  PhpSessionConfig,
} from './magento/magento-config';

// Backups.
export {
  renderBackupObjectPut,
  renderBackupScript,
  renderBackupService,
  renderBackupTimer,
  renderOpenstackCloudsYaml,
  renderRestoreRunbook,
} from './backup/backup-config';
export type { BackupScriptModel, BackupServerModel, BackupUnitModel, OffsiteModel, OpenstackCloudsModel, RestoreRunbookModel } from './backup/backup-config';

// Monitoring: what every Prometheus server renders, and Alertmanager's routing to people.
export { renderNotificationAlertmanagerConfig } from './monitoring/alert-routing';
export type { NotificationAlertmanagerConfig } from './monitoring/alert-routing';

// Scaling: Prometheus and Alertmanager, the scaling hook, Heat, the schedule and its runners, the demand chart.
export {
  renderAlertmanagerConfig,
  renderDaemonArgs,
  renderPrometheusConfig,
  renderPrometheusRuleGroups,
  renderPrometheusRules,
  renderScalingHookConfig,
  renderScalingHookScript,
  renderScalingHookUnit,
  ScalingAction,
} from './scaling/prometheus-config';
export type {
  AlertmanagerConfig,
  AlertmanagerScalingRoute,
  PrometheusAlertRule,
  PrometheusConfig,
  PrometheusRuleGroup,
  PrometheusScrapeJob,
  PrometheusTarget,
  ScalingHookConfig,
  ScalingHookRule,
  ScalingHookTier,
  ScalingHookUnit,
  ScalingHookWindow,
} from './scaling/prometheus-config';
export { renderHeatMemberTemplate, renderHeatTemplate } from './scaling/heat-template';
export type { HeatAutoscalingTemplate, HeatCpuAlarm, HeatMemberTemplate } from './scaling/heat-template';
export { renderCampaignTfvars, renderCountApplyScript, renderScalingCrontab, renderScalingSchedule, renderScalingWorkflow } from './scaling/scaling-schedule';
export type { ScalingSchedule, ScalingStep, ScheduledVariable } from './scaling/scaling-schedule';
export { renderDemandChart } from './scaling/svg-chart';
export type { DemandChartOptions } from './scaling/svg-chart';

// The rollout plan written next to a stack's Terraform.
export { renderRolloutPlan } from './rollout/rollout-plan';
export type { RolloutPlan, RolloutPlanServer } from './rollout/rollout-plan';
export { renderBlackboxConfig, BLACKBOX_EXPORTER_PORT } from './monitoring/blackbox-config';
export type { BlackboxModule } from './monitoring/blackbox-config';
export { renderMonitoringRules, monitoringRuleGroups, DEFAULT_MONITORING_THRESHOLDS } from './monitoring/monitoring-rules';
export type { MonitoringThresholds } from './monitoring/monitoring-rules';
export { galeraFlowControl, galeraGcacheSizing, renderGaleraConfig, renderGaleraHealthScript, renderGaleraInitScript, renderGaleraServiceDropIn, renderGaleraStartScript } from './database/galera-config';
export type { GaleraConfigModel, GaleraFlowControl, GaleraGcacheSizing, GaleraHealthModel, GaleraInitModel, GaleraStartModel } from './database/galera-config';

// Case study 4: the memcached pool, the client databases and their migration runner, the worker daemons.
export { renderMemcachedConfig } from './cache/memcached-pool';
export type { MemcachedConfigModel } from './cache/memcached-pool';
export { renderClientDatabasesBootstrap } from './database/client-databases';
export type { ClientDatabasesBootstrapModel } from './database/client-databases';
export { renderClientMigrateConfig, renderClientMigrateScript } from './database/client-migrations';
export type { ClientMigrateConfigModel } from './database/client-migrations';
export { renderTaskDaemonsConfig, renderTaskDaemonsScript, renderTaskDaemonsSysusers, renderTaskDaemonUnit, renderTaskRules, taskRuleGroups } from './workers/task-config';
export type { TaskAlertCategory, TaskCategoryModel, TaskDaemonsConfigModel, TaskDaemonUnitModel, TaskDefinitionModel } from './workers/task-config';

// Cost: cost.md, cost.json and the summary synth prints.
export { renderCostJson, renderCostSummary, renderCostTable } from './cost/cost-table';

// Architecture: ARCHITECTURE.md (Mermaid), architecture.svg and architecture.json.
export { renderArchitectureMermaid } from './architecture/architecture-mermaid';
export { layoutArchitecture, renderArchitectureSvg } from './architecture/architecture-svg';
export type { ArchitectureLayout, ArchitectureSvgOptions, LayoutBox, LayoutLane } from './architecture/architecture-svg';
export { renderArchitectureJson, renderArchitectureNotes, renderArchitectureSummary } from './architecture/architecture-notes';
export type { ArchitectureSummaryRow } from './architecture/architecture-notes';
