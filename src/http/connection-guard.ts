/**
 * Guards the HTTP server's sockets at accept time, before any request is parsed:
 * - at most `maxPerAddress` open connections per client address (an IPv6 client by its /64);
 *   a connection over the cap is closed at once, with a warning logged at most every
 *   LOG_EVERY_MS (counting what was refused meanwhile);
 * - a connection that has sent no byte within `firstByteMs` is closed (Node's headersTimeout
 *   only starts counting once the first byte of a request arrived).
 */
import { EventEmitter } from 'node:events';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { addressKey } from './rate-limit.js';

/** Refused connections are logged at most this often. */
export const LOG_EVERY_MS = 10_000;

export interface ConnectionGuardOptions {
  maxPerAddress: number;
  firstByteMs: number;
  clock: Clock;
  log: Logger;
}

/** Emits `accepted` / `refused` / `released` (with the address key) and `idle-closed`, for tests and metrics. */
export class ConnectionGuard extends EventEmitter {
  private readonly open = new Map<string, number>();
  private refusedSinceLog = 0;
  private lastLogAt = -Infinity;

  constructor(private readonly opts: ConnectionGuardOptions) {
    super();
  }

  attach(server: Server): void {
    server.on('connection', (socket: Socket) => this.admit(socket));
  }

  /** Open connections counted for `address`. */
  openFrom(address: string): number {
    return this.open.get(addressKey(address)) ?? 0;
  }

  private admit(socket: Socket): void {
    const key = addressKey(socket.remoteAddress);
    const n = this.open.get(key) ?? 0;
    if (n >= this.opts.maxPerAddress) {
      socket.destroy();
      this.noteRefused(key, n);
      this.emit('refused', key);
      return;
    }
    this.open.set(key, n + 1);
    const idle = this.opts.clock.after(this.opts.firstByteMs, () => {
      if (socket.bytesRead === 0 && !socket.destroyed) {
        socket.destroy();
        this.emit('idle-closed', key);
      }
    });
    socket.once('close', () => {
      idle.cancel();
      const left = (this.open.get(key) ?? 1) - 1;
      if (left > 0) this.open.set(key, left);
      else this.open.delete(key);
      this.emit('released', key);
    });
    this.emit('accepted', key);
  }

  private noteRefused(key: string, open: number): void {
    this.refusedSinceLog++;
    const now = this.opts.clock.mono();
    if (now - this.lastLogAt < LOG_EVERY_MS) return;
    this.opts.log.warn('connections refused: too many open from one address (server.max_connections_per_address)', {
      address: key,
      open,
      limit: this.opts.maxPerAddress,
      refused: this.refusedSinceLog,
    });
    this.lastLogAt = now;
    this.refusedSinceLog = 0;
  }
}
