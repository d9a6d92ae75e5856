// The one read the console makes beside the API: each listed webhook's
// attempts per hour over 24 h, for the list's chart. The API's health answers
// carry the circuit, the rates and the windows, but not this series, so the
// console asks the webhook's endpoint gate for it (README: "a chart of the last
// 24 hours from the endpoint gate's statistics"). A gate that cannot answer
// draws an empty chart, as the list's summary then shows "—".
import type { GateHealth } from "../gate";
import { gateOf } from "../gate";

export type Hourly = GateHealth["hourly"];

export const hourlyAttempts = async (env: Env, webhookId: string): Promise<Hourly> => {
	try {
		return ((await gateOf(env, webhookId).health()) as GateHealth).hourly;
	} catch {
		return [];
	}
};
