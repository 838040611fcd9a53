/**
 * Entry point of the head actor family (the design card's file): one head actor per head node
 * (`<node id>/head`) on the kernel (./kernel), running the head machine in ./head/machine.ts,
 * beside the node actor of the same node. Heads (./head/heads.ts) creates them from the node
 * actors' published changes and keeps the eligibility index and the active-heads counts.
 */
export { askHead, HeadActor, type HeadActorDeps, type HeadMsg, type HeadReplies, type HeadSnapshot } from './head/actor.js';
export { headMachine, type BodyKindSeen, type HeadAssignment, type HeadContext, type HeadEvent } from './head/machine.js';
export { Heads, type HeadsDeps } from './head/heads.js';
export { BodyIndex, isEligible, streamUrl, RENDER_ROLE, STREAM_PORT, type HeadPlace } from './head/eligibility.js';
export { headDiagnostics, nodeStatus, toHeadView } from './head/view.js';
