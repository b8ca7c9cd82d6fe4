#!/usr/bin/env bash
# Installs the Debian packages whose real daemons check and run the rendered configs in the tests.
# Needs root (or sudo). Daemons must not start at install: the tests start them themselves.
set -euo pipefail
PKGS=(nginx haproxy keepalived apache2 php-fpm redis-server memcached mariadb-server nftables
      libxml2-utils iproute2 wrk curl prometheus prometheus-alertmanager tomcat10 libmariadb-java nfs-kernel-server wireguard-tools psmisc
      python3-openstackclient)
# PrometheusScaling: the exporters the tier hosts run (their defaults files and flags are checked).
PKGS+=(prometheus-node-exporter prometheus-apache-exporter)
# CentralMonitoring: the blackbox exporter its vantage points run (config check, daemon test).
PKGS+=(prometheus-blackbox-exporter)
# MagentoFrontends: the PHP extensions its php.ini names (checkPhpIni loads the Debian conf.d).
PKGS+=(php8.2-cli php8.2-redis php8.2-mysql php8.2-intl php8.2-gd php8.2-soap php8.2-curl php8.2-xml php8.2-mbstring)
# The lab (lib/lab): Debian 12 containers booted by systemd-nspawn from an image debootstrap builds,
# packages served from a flat repository (dpkg-scanpackages), test keys and certificates.
PKGS+=(debootstrap systemd-container dpkg-dev openssh-client openssl util-linux)
# systemd (with systemd-container): units are checked by systemd-analyze, and the MariaDB role check runs
# behind systemd-socket-activate as an unprivileged user (setpriv, util-linux), as its socket unit runs it.
# DeploymentServer: its deploy step syncs with rsync; the targets' sudoers entry is checked by visudo.
PKGS+=(rsync sudo)
# IngestServers: its sshd drop-in is checked by sshd -t, and the SFTP drops are proven with a real sshd
# (internal-sftp) and the sftp client.
PKGS+=(openssh-server openssh-sftp-server)
# GaleraCluster: the galera-4 provider, mariabackup and socat for SST (galera-quorum behaviour test).
PKGS+=(galera-4 mariadb-backup socat)
# The architecture diagrams: each stack's architecture.svg is rendered by librsvg (rsvg-convert).
PKGS+=(librsvg2-bin)
# The lab's model of a cloud volume's flush latency (__tests__/support/flush-latency.ts) is built by gcc.
PKGS+=(gcc libc6-dev)
BINS=(nginx haproxy keepalived apache2 php-fpm8.2 redis-server memcached mariadbd nft xmllint ip wrk curl promtool amtool
      java /usr/share/tomcat10/bin/catalina.sh exportfs wg wg-quick killall openstack
      debootstrap systemd-nspawn dpkg-scanpackages nsenter ssh-keygen openssl rsync visudo
      systemd-analyze systemd-sysusers systemd-socket-activate setpriv /usr/sbin/sshd sftp unshare
      mariabackup socat rsvg-convert gcc)
missing=0
for b in "${BINS[@]}"; do command -v "$b" >/dev/null 2>&1 || missing=1; done
# The JDBC driver the Tomcat tests put in CATALINA_BASE/lib (package libmariadb-java).
[ -e /usr/share/java/mariadb-java-client.jar ] || missing=1
[ -e /usr/lib/galera/libgalera_smm.so ] || missing=1
# The scaling hook is a Python 3 program (py_compile, run on loopback); the exporters' binaries.
for b in python3 prometheus-node-exporter prometheus-apache-exporter prometheus-blackbox-exporter prometheus; do command -v "$b" >/dev/null 2>&1 || missing=1; done
# php-redis (MagentoFrontends' session.save_handler = redis), redis-cli and php8.2 (Redis and PHP checks).
[ -e /usr/lib/php/20220829/redis.so ] || missing=1
command -v redis-cli >/dev/null 2>&1 || missing=1
command -v php8.2 >/dev/null 2>&1 || missing=1
if [ "$missing" = 0 ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
# Debian images without systemd as PID 1: keep package scripts from starting the daemons.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
fi
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${PKGS[@]}" >/dev/null
