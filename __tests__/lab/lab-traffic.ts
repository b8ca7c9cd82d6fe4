/** Bounded traffic helpers for the lab network tests: python3 socket servers and clients inside lab namespaces. */
import type { ChildProcess } from 'child_process';
import type { LabNetwork } from '../../lib/lab/network';

const TCP_SERVER = `
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(16)
print("ready", flush=True)
while True:
    c, peer = s.accept()
    c.settimeout(3)
    try:
        data = c.recv(100)
        print("peer", peer[0], data.decode(errors="replace"), flush=True)
        c.sendall(b"ok " + peer[0].encode())
    except Exception as e:
        print("error", type(e).__name__, flush=True)
    c.close()
`;

const TCP_CLIENT = `
import socket, sys
s = socket.socket(); s.settimeout(float(sys.argv[3]))
if len(sys.argv) > 4: s.bind((sys.argv[4], 0))
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
    print("connected", flush=True)
    s.sendall(b"hello")
    print("reply", s.recv(100).decode(errors="replace"), flush=True)
except Exception as e:
    print("error", type(e).__name__, e, flush=True)
`;

const UDP_SERVER = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", int(sys.argv[1])))
print("ready", flush=True)
while True:
    data, peer = s.recvfrom(100)
    print("from", peer[0], data.decode(errors="replace"), flush=True)
`;

const UDP_CLIENT = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[3], 0))
for i in range(3): s.sendto(b"spoof-test", (sys.argv[1], int(sys.argv[2])))
print("sent", flush=True)
`;

/** A server process whose stdout lines are collected. */
export interface RunningServer {
  readonly lines: () => string[];
  readonly stop: () => void;
}

/** Kills the process group `spawnIn` made (ip netns exec -> timeout -> python3). */
function killGroup(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function startPython(lab: LabNetwork, ns: string, script: string, args: string[], lifetimeSeconds: number): Promise<RunningServer> {
  const child: ChildProcess = lab.spawnIn(ns, ['timeout', String(lifetimeSeconds), 'python3', '-u', '-c', script, ...args]);
  const out: string[] = [];
  let buffer = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup(child);
      reject(new Error(`server in ${ns} not ready after 5 s: ${out.join('|')}`));
    }, 5000);
    child.stdout?.on('data', (d: Buffer) => {
      buffer += d.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      out.push(...parts);
      if (parts.includes('ready')) {
        clearTimeout(timer);
        resolve({ lines: () => [...out], stop: () => killGroup(child) });
      }
    });
    child.on('exit', () => {
      clearTimeout(timer);
      reject(new Error(`server in ${ns} exited: ${out.join('|')}`));
    });
  });
}

/** A TCP server on 0.0.0.0:port that answers `ok <peer address>` and prints `peer <address> <data>`. */
export const startTcpServer = (lab: LabNetwork, ns: string, port: number, lifetimeSeconds = 30): Promise<RunningServer> =>
  startPython(lab, ns, TCP_SERVER, [String(port)], lifetimeSeconds);

/** A UDP server on 0.0.0.0:port that prints `from <address> <data>`. */
export const startUdpServer = (lab: LabNetwork, ns: string, port: number, lifetimeSeconds = 30): Promise<RunningServer> =>
  startPython(lab, ns, UDP_SERVER, [String(port)], lifetimeSeconds);

/**
 * One TCP exchange; returns the client's output (`connected`, `reply ok <addr>` or `error ...`).
 * `attempts` > 1 retries while no reply came: only for flows that must work (a loaded CI machine
 * can lose a first exchange); a flow that must be blocked is tried once.
 */
export async function tcpRequest(lab: LabNetwork, ns: string, address: string, port: number, opts: { timeoutSeconds?: number; source?: string; attempts?: number } = {}): Promise<string> {
  const t = opts.timeoutSeconds ?? 2;
  const args = [address, String(port), String(t), ...(opts.source ? [opts.source] : [])];
  const outputs: string[] = [];
  for (let i = 0; i < (opts.attempts ?? 1); i++) {
    const r = await lab.exec(ns, ['timeout', String(3 * t + 2), 'python3', '-c', TCP_CLIENT, ...args], { timeoutMs: (3 * t + 4) * 1000 });
    outputs.push(`${r.stdout}${r.stderr}`.trim());
    if (r.stdout.includes('reply')) break;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return outputs.join('\n');
}

/** Sends three UDP datagrams from `source`. */
export async function udpSend(lab: LabNetwork, ns: string, address: string, port: number, source: string): Promise<string> {
  const r = await lab.exec(ns, ['timeout', '5', 'python3', '-c', UDP_CLIENT, address, String(port), source], { timeoutMs: 7000 });
  return `${r.stdout}${r.stderr}`.trim();
}

/** Waits a bounded time for a condition on a server's output. */
export async function waitFor(check: () => boolean, timeoutMs = 3000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

const ARP_REQUEST = `
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind((sys.argv[1], 0))
mac = bytes.fromhex(sys.argv[2].replace(":", ""))
spa, tpa = socket.inet_aton(sys.argv[3]), socket.inet_aton(sys.argv[4])
arp = bytes.fromhex("0001080006040001") + mac + spa + bytes(6) + tpa
s.send(b"\\xff" * 6 + mac + b"\\x08\\x06" + arp)
print("sent", flush=True)
`;

/** Broadcasts one ARP request "who has `targetIp`? tell `senderIp`" from `nic`, with `mac` as sender. */
export async function sendArpRequest(lab: LabNetwork, ns: string, nic: string, mac: string, senderIp: string, targetIp: string): Promise<string> {
  const r = await lab.exec(ns, ['timeout', '5', 'python3', '-c', ARP_REQUEST, nic, mac, senderIp, targetIp], { timeoutMs: 7000 });
  return `${r.stdout}${r.stderr}`.trim();
}
