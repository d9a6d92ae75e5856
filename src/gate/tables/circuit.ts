// The circuit table: the gate's one circuit row (../circuit.ts decides what
// changes in it). Created closed on first use; a change writes only the
// columns it names, so the usual send writes nothing here.
import {
	type Circuit,
	type CircuitChange,
	type CircuitSettings,
	type CoolDown,
	newCircuit,
	settingsChange,
} from "../circuit";

/** Columns a change may name: the column names go into the statement, so only these. */
const COLUMNS = new Set<string>([
	"state",
	"consecutive_failures",
	"opened_at",
	"cool_down_ms",
	"next_probe_at",
	"probe_id",
	"probe_lease_until",
	"last_success_at",
	"last_failure_at",
	"last_error",
	"next_send_at",
	"webhook_id",
	"shard",
	"disable_after_ms",
	"disabled_at",
] satisfies (keyof Circuit)[]);

export class CircuitTable {
	constructor(
		private readonly sql: SqlStorage,
		private readonly coolDown: CoolDown,
		private readonly defaultDisableAfterMs: number,
	) {}

	/**
	 * The circuit, created closed on first use; the webhook's settings refreshed
	 * when a send's differ. Without settings (health, alarm) the stored ones stay.
	 */
	read(settings?: CircuitSettings, now = Date.now()): Circuit {
		const row = this.sql.exec<Circuit>("SELECT * FROM circuit WHERE id = 1").toArray()[0];
		if (!row) {
			const fresh = newCircuit(now, this.coolDown, {
				webhookId: settings?.webhookId ?? null,
				shard: settings?.shard ?? null,
				disableAfterMs: settings?.disableAfterMs ?? this.defaultDisableAfterMs,
			});
			this.sql.exec(
				`INSERT INTO circuit (id, state, consecutive_failures, cool_down_ms, next_send_at, webhook_id, shard, disable_after_ms)
				 VALUES (1, ?, ?, ?, ?, ?, ?, ?)`,
				fresh.state,
				fresh.consecutive_failures,
				fresh.cool_down_ms,
				fresh.next_send_at,
				fresh.webhook_id,
				fresh.shard,
				fresh.disable_after_ms,
			);
			return fresh;
		}
		const change = settings && settingsChange(row, settings);
		if (!change) return row;
		this.write(change);
		return { ...row, ...change };
	}

	write(change: CircuitChange) {
		const entries = Object.entries(change);
		if (entries.length === 0) return;
		for (const [column] of entries) if (!COLUMNS.has(column)) throw new Error(`circuit has no column ${column}`);
		this.sql.exec(
			`UPDATE circuit SET ${entries.map(([column]) => `${column} = ?`).join(", ")} WHERE id = 1`,
			...entries.map(([, value]) => value as SqlStorageValue),
		);
	}
}
