/**
 * The eligibility index (docs/api.md#heads-and-eligibility "Body eligibility"): the bodies a head may stream from, grouped
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

/** Code-unit order, not locale: cheap for 10,000 names and the same on every server; id breaks ties. */
const byName = (a: NodeRecord, b: NodeRecord): number =>
  a.name !== b.name ? (a.name < b.name ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/** Sort keys are packed into one float: rank bits, then the active count, then the name position. */
const MAX_ACTIVE = 2 ** 20 - 1;
const POSITION_BITS = 2 ** 24;

/** One district's eligible bodies; the name order is computed once per change, not per request. */
interface District {
  bodies: Map<string, NodeRecord>;
  byName: NodeRecord[] | null;
}

/** Eligible bodies by district, maintained from the body actors' published records. */
export class BodyIndex {
  private readonly byDistrict = new Map<string, District>();
  private total = 0;

  /** NodeIndexPort: a node's record went from `prev` to `next` (null: absent). */
  changed(id: string, prev: NodeRecord | null, next: NodeRecord | null): void {
    const was = prev !== null && isEligible(prev);
    const is = next !== null && isEligible(next);
    if (was && (!is || prev.district !== next!.district)) {
      const d = this.byDistrict.get(prev.district);
      if (d?.bodies.delete(id)) this.total--;
      if (d) d.byName = null;
      if (d?.bodies.size === 0) this.byDistrict.delete(prev.district);
    }
    if (is) {
      let d = this.byDistrict.get(next.district);
      if (!d) this.byDistrict.set(next.district, (d = { bodies: new Map(), byName: null }));
      if (!d.bodies.has(id)) this.total++;
      d.bodies.set(id, next); // the newest record: name, venue, addresses
      d.byName = null;
    }
  }

  /** Eligible bodies in all districts. */
  get size(): number {
    return this.total;
  }

  /** The eligible bodies of `head`'s district, best first. */
  rank(head: HeadPlace, activeHeads: (bodyId: string) => number): EligibleBody[] {
    const d = this.byDistrict.get(head.district);
    if (!d) return [];
    const sorted = (d.byName ??= [...d.bodies.values()].sort(byName));
    // One packed number per body, sorted natively: (pinned, venue, owner, active, name position).
    const keys = new Float64Array(sorted.length);
    const active = new Uint32Array(sorted.length);
    for (let i = 0; i < sorted.length; i++) {
      const r = sorted[i]!;
      const a = (active[i] = Math.min(activeHeads(r.id), MAX_ACTIVE));
      const group = (r.id === head.pinnedBodyId ? 0 : 4) + (same(r.venue, head.venue) ? 0 : 2) + (same(r.owner, head.owner) ? 0 : 1);
      keys[i] = (group * (MAX_ACTIVE + 1) + a) * POSITION_BITS + i;
    }
    keys.sort();
    const out: EligibleBody[] = new Array(sorted.length);
    for (let k = 0; k < keys.length; k++) {
      const i = keys[k]! % POSITION_BITS;
      const r = sorted[i]!;
      out[k] = {
        body_id: r.id,
        name: r.name,
        district: r.district,
        venue: r.venue,
        owner: r.owner,
        stream_url: streamUrl(r.reported.wg_ip),
        stream_url_lan: streamUrl(r.reported.lan_ip),
        active_heads: active[i]!,
        pinned: r.id === head.pinnedBodyId,
      };
    }
    return out;
  }
}
