/**
 * `HOST:PORT` listen addresses (`--listen`, `server.listen`), checked before anything binds so
 * that a typo is a usage or config error naming the flag or key, not a Node internal message.
 * HOST is an IPv4 dotted quad, an IPv6 address in brackets, or a hostname; PORT is 0–65535
 * (0 = any free port; a first start records the port it got in config.yaml).
 */
import { isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { showName } from './issues.js';

export const MAX_PORT = 65_535;

const EXAMPLES = 'e.g. 127.0.0.1:8080, 0.0.0.0:8080 or [::1]:8080';
const DOTTED = /^\d+(\.\d+)*$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

function split(text: string): { host: string; port: string; bracketed: boolean } | null {
  const v6 = /^\[([^\]]*)\]:([^:]*)$/.exec(text);
  if (v6) return { host: v6[1]!, port: v6[2]!, bracketed: true };
  const i = text.lastIndexOf(':');
  return i < 0 ? null : { host: text.slice(0, i), port: text.slice(i + 1), bracketed: false };
}

function hostProblem(host: string, bracketed: boolean): string | null {
  if (bracketed) return isIPv6(host) ? null : `[${showName(host)}] is not an IPv6 address`;
  if (host === '') return `HOST is missing (${EXAMPLES}; 0.0.0.0 listens on every interface)`;
  if (host.includes(':')) return `an IPv6 address goes in brackets, e.g. [::1]:8080`;
  if (DOTTED.test(host)) {
    const m = IPV4.exec(host);
    return m && m.slice(1).every((p) => Number(p) <= 255) ? null : `host ${showName(host)} is not an IPv4 address (four numbers 0–255)`;
  }
  const labels = host.split('.');
  return host.length <= 253 && labels.every((l) => LABEL.test(l)) ? null : `host ${JSON.stringify(showName(host))} is not an IPv4 address, an [IPv6] address or a hostname`;
}

function portProblem(port: string): string | null {
  if (!/^\d+$/.test(port)) return `port ${JSON.stringify(showName(port))} is not a number (${EXAMPLES})`;
  return Number(port) <= MAX_PORT ? null : `port ${showName(port)} is out of range (0–${MAX_PORT})`;
}

/** Why `text` is not a usable `HOST:PORT`, or null when it is. */
export function listenProblem(text: string): string | null {
  const parts = split(text.trim());
  if (!parts) return `must be HOST:PORT (${EXAMPLES})`;
  return hostProblem(parts.host, parts.bracketed) ?? portProblem(parts.port);
}

/** Splits a valid `HOST:PORT` (IPv6 without its brackets); throws on an invalid one. */
export function parseListen(text: string): { host: string; port: number } {
  const problem = listenProblem(text);
  if (problem) throw new Error(problem);
  const parts = split(text.trim())!;
  return { host: parts.host, port: Number(parts.port) };
}

/** `HOST:PORT`, an IPv6 host in brackets. */
export const formatListen = (host: string, port: number): string => `${isIPv6(host) ? `[${host}]` : host}:${port}`;

const isUnspecified = (host: string): boolean => host === '0.0.0.0' || (isIPv6(host) && /^[0:]+$/.test(host));

/** This machine's first non-loopback IPv4 address, for a public URL when listening everywhere. */
function outwardAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/**
 * The URL agents are told for a listen address: the same host, except that one listening on every
 * interface (0.0.0.0, [::]) is reached at this machine's first non-loopback IPv4 address.
 */
export function publicUrlFor(listen: string): string {
  const { host, port } = parseListen(listen);
  return `http://${formatListen(isUnspecified(host) ? outwardAddress() : host, port)}`;
}
