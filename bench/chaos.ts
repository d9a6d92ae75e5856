// `npm run chaos`: CHAOS_N notifications (default 10,000) through a flapping
// receiver with a kill and restart mid-run; exits non-zero on any violation.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runChaos } from "./chaos-run.ts";
import { log, root } from "./lib.ts";

const n = Number(process.env.CHAOS_N ?? 10_000);
log(`chaos run with ${n} notifications`);
const report = await runChaos({ n });
const dir = join(root, ".artifacts", "chaos");
mkdirSync(dir, { recursive: true });
const file = join(dir, `chaos-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);

const line = (name: string, value: unknown) => console.log(`  ${name.padEnd(44)} ${value}`);
console.log("\nHookline chaos run");
line("notifications accepted", `${report.accepted}/${report.n}`);
line("delivered / failed (all 5 attempts)", `${report.delivered} / ${report.failed}`);
line("receiver requests (by answer)", `${report.receiverRequests} ${JSON.stringify(report.outcomes)}`);
line("lost", report.lost.length);
line("answered 2xx more than once (violations)", report.duplicateSuccesses.length);
line("  besides: in the kill's window (same key)", report.crashWindowDuplicates.length);
line("  besides: during a timed-out attempt (same key)", report.timedOutDuplicates.length);
line("delivered without a 2xx at the receiver", report.deliveredWithoutReceiverSuccess.length);
line("attempts over the policy", report.attemptsOverPolicy.length);
line("failed without all attempts recorded", report.failedWithoutAllAttempts.length);
line("took", `${report.seconds} s`);
console.log(`\n  ${report.violations === 0 ? "no violations" : `${report.violations} VIOLATIONS`}; report: ${file}`);
process.exit(report.violations === 0 ? 0 : 1);
