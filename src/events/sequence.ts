// The order of a tenant's event log. Every event gets a `seq` from its
// tenant's row in event_log_heads, bumped in the same D1 batch (one
// transaction) that stores the event: D1 runs one writer per database, so
// whichever isolate's ingest commits first has the lower seq, and a tenant's
// seqs are dense (a batch that rolls back gives its number back). The pull
// stream relies on both: it never skips an event stored before one it has
// streamed, and a gap in the numbers can only be events retention removed.
// A timestamp cannot do this: two isolates' clocks and commit order disagree.

/** Bumps the tenant's head; put it right before the statement that inserts the event. */
export const bumpHead = (db: D1Database, tenantId: string) =>
	db
		.prepare(
			"INSERT INTO event_log_heads (tenant_id, last_seq) VALUES (?1, 1) ON CONFLICT (tenant_id) DO UPDATE SET last_seq = last_seq + 1",
		)
		.bind(tenantId);

/** The seq the head just gave out, as an SQL expression over the statement's parameter naming the tenant. */
export const headSeq = (tenantParam: string) =>
	`(SELECT last_seq FROM event_log_heads WHERE tenant_id = ${tenantParam})`;
