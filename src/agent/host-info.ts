/**
 * What the agent reports about its host (docs/api.md#agents-heartbeat-flags-and-the-provision-poll heartbeat fields) and where its interpreters are.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { arch, hostname, networkInterfaces, platform, type NetworkInterfaceInfo } from 'node:os';
import { delimiter, join } from 'node:path';

/** WireGuard interfaces are named wg0, wg1, … by convention (wg-quick). */
const WIREGUARD_NAME = /^wg/;

/** The identity fields of register and heartbeat. */
export interface HostFacts {
  hostname: string;
  /** `linux`, `macos` or `windows` (the enrollment vocabulary), else Node's platform name. */
  os: string;
  arch: string;
}

/** The wire contract's OS names for Node's platform names. */
export function osName(p: NodeJS.Platform = platform()): string {
  if (p === 'win32') return 'windows';
  if (p === 'darwin') return 'macos';
  return p;
}

/** This host's name, OS and CPU architecture. */
export function hostFacts(): HostFacts {
  return { hostname: hostname(), os: osName(), arch: arch() };
}

type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

const ipv4 = (infos: NetworkInterfaceInfo[] | undefined): string | undefined =>
  infos?.find((i) => i.family === 'IPv4' && !i.internal)?.address;

/** The first non-internal IPv4 address that is not on a WireGuard interface. */
export function lanIp(ifaces: Interfaces = networkInterfaces()): string | undefined {
  for (const [name, infos] of Object.entries(ifaces)) {
    if (WIREGUARD_NAME.test(name)) continue;
    const ip = ipv4(infos);
    if (ip) return ip;
  }
  return undefined;
}

/** The IPv4 address of the first WireGuard interface, when there is one. */
export function wgIp(ifaces: Interfaces = networkInterfaces()): string | undefined {
  for (const [name, infos] of Object.entries(ifaces)) {
    if (!WIREGUARD_NAME.test(name)) continue;
    const ip = ipv4(infos);
    if (ip) return ip;
  }
  return undefined;
}

/** The full path of an executable on `PATH` (with PATHEXT on Windows), or null. */
export function which(name: string, env: NodeJS.ProcessEnv): string | null {
  const dirs = (env.PATH ?? env.Path ?? '').split(delimiter).filter(Boolean);
  const exts = platform() === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const p = join(dir, name + ext);
      try {
        if (!statSync(p).isFile()) continue;
        accessSync(p, constants.X_OK);
        return p;
      } catch {
        // not here
      }
    }
  }
  return null;
}
