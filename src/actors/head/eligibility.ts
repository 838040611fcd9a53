/**
 * The eligibility index (SPEC §8 "Body eligibility"): the bodies a head may stream from, grouped
 * by district, kept current by what the body actors publish (every record change reaches
 * {@link BodyIndex.changed} through the fleet). A request for a head's eligible bodies reads one
 * district's entries and sorts them: no body actor is asked anything.
 *
 * Eligible: kind `body`, role `render-node`, state `online`, `provider_status: running`, not
 * drained. Order: the head's pinned (assigned) body, then same venue, same owner, fewest heads
 * streaming from it, name.
 */
import type { EligibleBody } from '../../wire/heads.js';
import type { NodeRecord } from '../node/record.js';

/** The role a body needs to be streamed from (the runbook's LarkXR render node). */
export const RENDER_ROLE = 'render-node';
/** Sunshine's web port, where a head's Moonlight connects. */
export const STREAM_PORT = 47990;

export function isEligible(r: NodeRecord): boolean {
  return r.kind === 'body' && r.state === 'online' && !r.drain && r.reported.provider_status === 'running' && r.roles.includes(RENDER_ROLE);
}

/** `https://<ip>:47990`, or null when the address is unknown (an IPv6 address in brackets). */
export function streamUrl(ip: string | null): string | null {
  if (!ip) return null;
  return `https://${ip.includes(':') ? `[${ip}]` : ip}:${STREAM_PORT}`;
}

/** What ranks a head's bodies. */
export interface HeadPlace {
  district: string;
  venue: string;
  owner: string;
  /** The admin's assignment: first (pinned) when it is eligible. */
  pinnedBodyId: string | null;
}

/** True when both are set and equal: an empty venue or owner matches nothing. */
const same = (a: string, b: string): boolean => a !== '' && a === b;

interface Ranked {
  r: NodeRecord;
  pinned: boolean;
  venue: number;
  owner: number;
  active: number;
}

function compare(a: Ranked, b: Ranked): number {
  if (a.pinned !== b.pinned) return a.pinned ? -1 : 1;
  if (a.venue !== b.venue) return a.venue - b.venue;
  if (a.owner !== b.owner) return a.owner - b.owner;
  if (a.active !== b.active) return a.active - b.active;
  // Code-unit order, not locale: cheap for 10,000 names and the same on every server.
  const an = a.r.name;
  const bn = b.r.name;
  if (an !== bn) return an < bn ? -1 : 1;
  return a.r.id < b.r.id ? -1 : a.r.id > b.r.id ? 1 : 0;
}

/** Eligible bodies by district, maintained from the body actors' published records. */
export class BodyIndex {
  private readonly byDistrict = new Map<string, Map<string, NodeRecord>>();
  private total = 0;

  /** NodeIndexPort: a node's record went from `prev` to `next` (null: absent). */
  changed(id: string, prev: NodeRecord | null, next: NodeRecord | null): void {
    const was = prev !== null && isEligible(prev);
    const is = next !== null && isEligible(next);
    if (was && (!is || prev.district !== next!.district)) {
      const m = this.byDistrict.get(prev.district);
      if (m?.delete(id)) this.total--;
      if (m?.size === 0) this.byDistrict.delete(prev.district);
    }
    if (is) {
      let m = this.byDistrict.get(next.district);
      if (!m) this.byDistrict.set(next.district, (m = new Map()));
      if (!m.has(id)) this.total++;
      m.set(id, next); // the newest record: name, venue, addresses
    }
  }

  /** Eligible bodies in all districts. */
  get size(): number {
    return this.total;
  }

  /** The eligible bodies of `head`'s district, best first. */
  rank(head: HeadPlace, activeHeads: (bodyId: string) => number): EligibleBody[] {
    const m = this.byDistrict.get(head.district);
    if (!m) return [];
    const items: Ranked[] = [];
    for (const r of m.values()) {
      items.push({
        r,
        pinned: r.id === head.pinnedBodyId,
        venue: same(r.venue, head.venue) ? 0 : 1,
        owner: same(r.owner, head.owner) ? 0 : 1,
        active: activeHeads(r.id),
      });
    }
    items.sort(compare);
    return items.map(({ r, pinned, active }) => ({
      body_id: r.id,
      name: r.name,
      district: r.district,
      venue: r.venue,
      owner: r.owner,
      stream_url: streamUrl(r.reported.wg_ip),
      stream_url_lan: streamUrl(r.reported.lan_ip),
      active_heads: active,
      pinned,
    }));
  }
}
