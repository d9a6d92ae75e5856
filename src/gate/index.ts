// The endpoint gate, as the rest of Hookline sees it: the Durable Object class
// (exported from src/index.ts) and the types of its RPC surface.
export type { GateAnswer, GateRecord, GateResult, GateSend } from "./contract";
export { EndpointGate } from "./endpoint-gate";
export type { GateHealth, WindowStats } from "./health";

/** The endpoint gate (Durable Object) of a webhook. */
export const gateOf = (env: Env, webhookId: string) => env.ENDPOINT_GATE.get(env.ENDPOINT_GATE.idFromName(webhookId));
