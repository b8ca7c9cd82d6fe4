/**
 * A cloud volume's flush, modelled: an `LD_PRELOAD` library that makes each `fsync` and `fdatasync`
 * of the process wait, after the real call returns, the microseconds written in the file
 * `HS_FLUSH_LATENCY_FILE` names (none: no wait), so a test adds the wait only while it measures.
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

/** The environment variable naming the file the library reads its latency from (microseconds). */
export const FLUSH_LATENCY_FILE_ENV = 'HS_FLUSH_LATENCY_FILE';

const SOURCE = `#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/*
 * Each fsync and fdatasync of the process waits, after the real call, the microseconds written in
 * the file \$${FLUSH_LATENCY_FILE_ENV} names (read at each call, so a test sets it when it measures).
 */
static void wait_flush(void) {
  const char *path = getenv("${FLUSH_LATENCY_FILE_ENV}");
  if (!path) return;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char buf[32];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return;
  buf[n] = 0;
  long delay_us = atol(buf);
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

/** The environment a process needs to run with the library at `library`, its latency read from `controlFile`. */
export function flushLatencyEnv(library: string, controlFile: string): string[] {
  return [`LD_PRELOAD=${library}`, `${FLUSH_LATENCY_FILE_ENV}=${controlFile}`];
}

/** Sets the latency the processes reading `controlFile` add to each flush from now on. */
export function setFlushLatency(controlFile: string, ms: number): void {
  if (!Number.isFinite(ms) || ms < 0) throw new Error(`flush latency: ${ms} ms must be a finite number of at least 0`);
  writeFileSync(controlFile, `${Math.round(ms * 1000)}\n`);
}
