/**
 * Entry point of the node actor family (the design card's file): one actor per node on the
 * kernel (./kernel), running the lifecycle machine in ./node/machine.ts. The fleet (./node/fleet.ts)
 * creates them and keeps the indexes they publish to.
 */
export { askNode, NodeActor, LAST_SEEN_REFRESH_MS, type HeartbeatReply, type HeartbeatReport, type NodeActorDeps, type NodeConfig, type NodeIndexPort, type NodeMsg, type NodeReplies } from './node/actor.js';
export { nodeMachine, isProvisioned, type HeadChanges, type NodeContext, type NodeEvent, type NodeSettings } from './node/machine.js';
export { Fleet, type FleetDeps, type FleetPorts, type FleetSettings, type NewEnrollment, type TokenEntry, type TokenKind } from './node/fleet.js';
export * from './node/record.js';
