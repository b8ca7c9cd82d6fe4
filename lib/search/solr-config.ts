import { renderTemplate } from '../config/template';

/** Memory kept for everything but Solr's heap, at the least: the system, and the page cache the index is read from. */
export const SOLR_RESERVED_MB = 1024;

/** Share of the RAM given to Solr's heap; Lucene reads the index through the page cache, which gets the rest. */
export const SOLR_HEAP_FRACTION = 0.5;

/** Largest heap: above ~32 GB the JVM loses compressed object pointers. */
export const SOLR_MAX_HEAP_MB = 31744;

/** Smallest useful heap for a shop's catalogue core. */
export const SOLR_MIN_HEAP_MB = 512;

/**
 * Solr's heap for a server with `ramGb` of memory: half the RAM, no more than the RAM less
 * {@link SOLR_RESERVED_MB}, capped at {@link SOLR_MAX_HEAP_MB}. Returns undefined below {@link SOLR_MIN_HEAP_MB}.
 */
export function solrHeapMbForRam(ramGb: number): number | undefined {
  const ramMb = Math.floor(ramGb * 1024);
  const heap = Math.min(Math.floor(ramMb * SOLR_HEAP_FRACTION), ramMb - SOLR_RESERVED_MB, SOLR_MAX_HEAP_MB);
  return heap >= SOLR_MIN_HEAP_MB ? heap : undefined;
}

/** What `/etc/default/solr.in.sh` holds. */
export interface SolrInShModel {
  /** Host name, for the header comment. */
  readonly hostname: string;
  /** Solr's writable folder (`SOLR_PID_DIR`, `SOLR_HOME=<dir>/data`, logs). */
  readonly varDir: string;
  /** Heap in MB. */
  readonly heapMb: number;
  /** RAM of the server in MB, for the comment. */
  readonly ramMb: number;
  /** Address Jetty binds to and tools connect to. */
  readonly address: string;
  /** HTTP port. */
  readonly port: number;
  /** Addresses and CIDRs Jetty accepts requests from. */
  readonly allowList: readonly string[];
}

/** Renders `/etc/default/solr.in.sh` (a shell file sourced by bin/solr and the init script). Pure. */
export function renderSolrInSh(model: SolrInShModel): string {
  return renderTemplate('solr.in.sh.hbs', { ...model, allowList: model.allowList.join(', ') });
}

/** What the install script does. */
export interface SolrInstallScriptModel {
  /** Solr version, `9.6.1`. */
  readonly version: string;
  /** SHA-512 of the archive, 128 hex digits. */
  readonly sha512: string;
  /** Where the archive is downloaded from. */
  readonly downloadUrl: string;
  /** Scratch folder of the download. */
  readonly workDir: string;
  /** Folder the archive is extracted into (`/opt`); `<it>/<serviceName>` links to the installation. */
  readonly installParent: string;
  /** Solr's writable folder. */
  readonly varDir: string;
  /** User Solr runs as. */
  readonly user: string;
  /** Service name. */
  readonly serviceName: string;
  /** HTTP port. */
  readonly port: number;
}

/** Renders the script that downloads, checks and installs Solr with install_solr_service.sh. Pure. */
export function renderSolrInstallScript(model: SolrInstallScriptModel): string {
  return renderTemplate('solr-install.sh.hbs', model);
}

/** What the core-creation script does. */
export interface SolrCreateCoreScriptModel {
  /** Core name. */
  readonly coreName: string;
  /** Address Solr listens on. */
  readonly address: string;
  /** HTTP port. */
  readonly port: number;
  /** Seconds to wait for Solr to answer. */
  readonly waitSeconds: number;
  /** Solr's writable folder. */
  readonly varDir: string;
  /** User Solr runs as. */
  readonly user: string;
  /** Service name (its include file is `/etc/default/<name>.in.sh`). */
  readonly serviceName: string;
  /** Folder holding the `<serviceName>` link to the installation. */
  readonly installParent: string;
}

/** Renders the script that creates the application's core with `bin/solr create -c` once Solr answers. Pure. */
export function renderSolrCreateCoreScript(model: SolrCreateCoreScriptModel): string {
  return renderTemplate('solr-create-core.sh.hbs', model);
}
