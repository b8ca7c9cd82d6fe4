/**
 * A cloud volume's flush, modelled: an `LD_PRELOAD` library that makes each `fsync` and `fdatasync`
 * of the process wait `HS_FLUSH_LATENCY_US` microseconds after the real call returns.
 *
 * Why: a database on an OpenStack volume (Cinder on Ceph, as OVHcloud's) waits for a flush to be
 * acknowledged by the replicas over the network, typically 1 to several ms; this machine's disk
 * acknowledges one in about 0.16 ms. An update of many small databases is then bound by those waits
 * on a cloud, and by the CPU here: what makes parallel updates pay (case study 4: more than 60 %
 * shorter) is the wait, which this library puts back. It models latency only, not an IOPS cap (a
 * classic volume's 250 IOPS would cap the parallel run too). No netem and no dm-delay here, and a
 * per-process library changes nothing else on the machine.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The flush latency the lab gives a database host's volume: 2 ms, our estimate of a Ceph-backed
 * volume's synchronous write (three replicas over the network); measure yours with
 * `fio --rw=write --bs=4k --fsync=1`.
 */
export const LAB_VOLUME_FLUSH_MS = 2;

/** The environment variable the library reads (microseconds). */
export const FLUSH_LATENCY_ENV = 'HS_FLUSH_LATENCY_US';

const SOURCE = `#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

/* Each fsync and fdatasync of the process waits ${FLUSH_LATENCY_ENV} microseconds after the real call. */
static long delay_us = -1;

static void wait_flush(void) {
  if (delay_us < 0) {
    const char *v = getenv("${FLUSH_LATENCY_ENV}");
    delay_us = v ? atol(v) : 0;
  }
  if (delay_us > 0) {
    struct timespec t = { delay_us / 1000000, (delay_us % 1000000) * 1000 };
    while (nanosleep(&t, &t) != 0) {}
  }
}

int fsync(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  int r = real(fd);
  wait_flush();
  return r;
}

int fdatasync(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  int r = real(fd);
  wait_flush();
  return r;
}
`;

/** Compiles the library with the host's gcc; returns its bytes. */
export function buildFlushLatencyLibrary(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'hs-flush-latency-'));
  try {
    writeFileSync(join(dir, 'flush-latency.c'), SOURCE);
    const out = join(dir, 'flush-latency.so');
    const r = spawnSync('gcc', ['-shared', '-fPIC', '-O2', '-o', out, join(dir, 'flush-latency.c'), '-ldl'], { encoding: 'utf8', timeout: 60_000 });
    if (r.error || r.status !== 0) throw new Error(`gcc could not build the flush-latency library (scripts/install-test-deps.sh installs gcc): ${r.error?.message ?? r.stderr}`);
    return spawnSync('cat', [out], { maxBuffer: 16 * 1024 * 1024 }).stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The environment a process needs to run with the library at `path` and `ms` per flush. */
export function flushLatencyEnv(path: string, ms: number): string[] {
  if (!Number.isFinite(ms) || ms < 0) throw new Error(`flush latency: ${ms} ms must be a finite number of at least 0`);
  return [`LD_PRELOAD=${path}`, `${FLUSH_LATENCY_ENV}=${Math.round(ms * 1000)}`];
}
