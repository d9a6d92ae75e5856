// Vitest global setup for the worker tests: one real receiver for the run,
// its URL provided to the workerd side as the RECEIVER_URL binding.
import type { TestProject } from "vitest/node";
import { startReceiver } from "./receiver.ts";

declare module "vitest" {
	export interface ProvidedContext {
		receiverUrl: string;
	}
}

export default async function setup(project: TestProject) {
	const receiver = await startReceiver();
	project.provide("receiverUrl", receiver.url);
	return () => receiver.close();
}
