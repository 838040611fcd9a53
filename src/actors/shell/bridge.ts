/**
 * The byte pipe of one shell session: the admin's WebSocket and the agent's, joined outside any
 * mailbox (PTY bytes never queue behind messages). Binary frames pass through as they are; text
 * frames are control messages, parsed and checked (a frame that does not parse is dropped):
 * `resize` goes client → agent, `exit` and `error` agent → client. Backpressure: when one side's
 * send buffer passes {@link SHELL_HIGH_WATER_BYTES}, the other side's socket is paused (TCP pushes back
 * on its sender) until the buffer drains below {@link SHELL_LOW_WATER_BYTES}; nothing is buffered
 * without bound. Until an agent attaches the client's socket is paused too.
 */
import type { WebSocket, RawData } from 'ws';
import { CLOSE_GOING_AWAY, CLOSE_NORMAL, CLOSE_TRY_AGAIN, parseControl, SHELL_HIGH_WATER_BYTES, SHELL_LOW_WATER_BYTES, type ShellError } from '../../wire/shell.js';
import type { CloseReason } from './machine.js';

/** A peer that has not answered the close handshake by then is cut (ws itself would wait 30 s). */
export const CLOSE_GRACE_MS = 3000;

/** What the bridge tells its session. */
export interface BridgeEvents {
  /** A socket closed (or errored): the session ends with `reason`. */
  end(reason: CloseReason): void;
  /** A byte or a control frame passed (for the idle timeout). */
  activity(): void;
}

const OPEN = 1;
const CLOSED = 3;
const toBuffer = (d: RawData): Buffer => (Buffer.isBuffer(d) ? d : Array.isArray(d) ? Buffer.concat(d) : Buffer.from(d));

/** One session's two sockets and the bytes between them. */
export class ShellBridge {
  private agent: WebSocket | null = null;
  private exitSent = false;
  private readonly toAgent = new Flow(() => this.client, () => this.agent);
  private readonly toClient = new Flow(() => this.agent, () => this.client);
  bytesToClient = 0;
  bytesToAgent = 0;

  constructor(
    private readonly client: WebSocket,
    private readonly events: BridgeEvents,
  ) {
    client.pause();
    client.on('message', (data, isBinary) => this.fromClient(data, isBinary));
    client.on('close', () => events.end('client_closed'));
    client.on('error', () => events.end('client_closed'));
  }

  get agentConnected(): boolean {
    return this.agent !== null;
  }

  /** The agent's socket arrived: bytes flow both ways from now on. */
  attachAgent(agent: WebSocket): void {
    this.agent = agent;
    agent.on('message', (data, isBinary) => this.fromAgent(data, isBinary));
    agent.on('close', () => this.events.end(this.exitSent ? 'exit' : 'agent_closed'));
    agent.on('error', () => this.events.end('agent_closed'));
    if (this.client.readyState === OPEN) this.client.resume();
  }

  /** Ends the session: the client hears why (unless it left, or got the exit code), both sockets close. */
  teardown(reason: CloseReason): void {
    const client = this.client;
    if (client.readyState === OPEN) {
      if (reason !== 'exit' && reason !== 'client_closed' && !this.exitSent) client.send(JSON.stringify({ type: 'error', error: reason satisfies ShellError }));
      client.resume(); // a socket still paused (no agent yet) would never read the close reply
      client.close(closeCode(reason), reason);
    }
    if (this.agent && this.agent.readyState === OPEN) this.agent.close(CLOSE_NORMAL, reason);
    // Socket housekeeping, not domain time: a peer that never answers the close is cut, so a
    // shutdown never waits on it.
    const sockets = [client, this.agent];
    setTimeout(() => {
      for (const ws of sockets) if (ws && ws.readyState !== CLOSED) ws.terminate();
    }, CLOSE_GRACE_MS).unref();
  }

  private fromClient(data: RawData, isBinary: boolean): void {
    const agent = this.agent;
    if (!agent) return;
    this.events.activity();
    if (isBinary) {
      const buf = toBuffer(data);
      this.bytesToAgent += buf.length;
      this.toAgent.send(buf);
      return;
    }
    const frame = parseControl(toBuffer(data).toString('utf8'));
    if (frame?.type === 'resize') agent.send(JSON.stringify(frame));
  }

  private fromAgent(data: RawData, isBinary: boolean): void {
    this.events.activity();
    if (isBinary) {
      const buf = toBuffer(data);
      this.bytesToClient += buf.length;
      this.toClient.send(buf);
      return;
    }
    const frame = parseControl(toBuffer(data).toString('utf8'));
    if (frame?.type === 'exit') this.exitSent = true;
    if (frame && frame.type !== 'resize' && this.client.readyState === OPEN) this.client.send(JSON.stringify(frame));
  }
}

/**
 * One direction of the pipe: sends to `dest`, pausing `src` while `dest` has more than the high
 * water mark unsent, resuming it when the buffer is below the low mark or every send went out.
 */
class Flow {
  private inFlight = 0;

  constructor(
    private readonly src: () => WebSocket | null,
    private readonly dest: () => WebSocket | null,
  ) {}

  send(buf: Buffer): void {
    const dest = this.dest();
    if (!dest || dest.readyState !== OPEN) return;
    this.inFlight++;
    dest.send(buf, { binary: true }, () => {
      this.inFlight--;
      const src = this.src();
      if (src?.isPaused && src.readyState === OPEN && (dest.bufferedAmount < SHELL_LOW_WATER_BYTES || this.inFlight === 0)) src.resume();
    });
    if (dest.bufferedAmount > SHELL_HIGH_WATER_BYTES) this.src()?.pause();
  }
}

function closeCode(reason: CloseReason): number {
  if (reason === 'exit' || reason === 'idle_timeout' || reason === 'client_closed') return CLOSE_NORMAL;
  if (reason === 'shutting_down') return CLOSE_GOING_AWAY;
  return CLOSE_TRY_AGAIN;
}
