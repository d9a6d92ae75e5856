// The whole machine's busy CPU time around a piece of work, every process
// counted (workerd, wrangler's Node, the egress proxies, the load and the
// receiver): what a request or an event costs where a rate alone cannot say.
import { readFileSync } from "node:fs";

/** Busy CPU time of the whole machine so far (every core), in ms; undefined where /proc/stat is not. */
const machineBusyMs = () => {
	try {
		const [, ...fields] = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/);
		// user nice system idle iowait irq softirq steal: idle and iowait are not busy. (USER_HZ is 100 on Linux.)
		return fields.map(Number).reduce((sum, t, i) => (i === 3 || i === 4 ? sum : sum + t), 0) * 10;
	} catch {
		return undefined;
	}
};

/** Runs `work`; answers its result and the machine's busy CPU ms per item (`items` counted from the result). */
export const measured = async <T>(work: () => Promise<T>, items: (result: T) => number) => {
	const before = machineBusyMs();
	const result = await work();
	const after = machineBusyMs();
	const n = items(result);
	return { result, cpuMsPer: before !== undefined && after !== undefined && n > 0 ? (after - before) / n : undefined };
};

/** ", 1.23 ms CPU per event", or nothing where the machine's CPU is not known. */
export const cpuText = (ms: number | undefined, what: string) =>
	ms === undefined ? "" : `, ${ms.toFixed(2)} ms CPU per ${what}`;
