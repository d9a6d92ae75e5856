// Bindings the worker tests add through vitest.config.ts.
import type { D1Migration } from "cloudflare:test";

declare global {
	namespace Cloudflare {
		interface Env {
			TEST_MIGRATIONS: { catalog: D1Migration[]; shard: D1Migration[] };
			RECEIVER_URL: string;
		}
		interface GlobalProps {
			mainModule: typeof import("../../src/index");
		}
	}
}
