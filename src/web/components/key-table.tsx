// A list of API keys: name, the secret's prefix, scopes, tenant, expiry and
// last use, and a Revoke button (posted with the session's CSRF token). No
// secret is ever listed: the API keeps only its hash.
import type { z } from "@hono/zod-openapi";
import type { FC } from "hono/jsx";
import type { ApiKey } from "../../access/schema";
import { Csrf } from "./layout";
import { When } from "./status";

type KeyTableProps = { id: string; keys: z.infer<typeof ApiKey>[]; base: string; csrf: string };

export const KeyTable: FC<KeyTableProps> = ({ id, keys, base, csrf }) => (
	<div class="scroll">
		<table id={id}>
			<thead>
				<tr>
					<th>Name</th>
					<th>Prefix</th>
					<th>Scopes</th>
					<th class="optional">Tenant</th>
					<th class="optional">Expires</th>
					<th class="optional">Last used</th>
					<th />
				</tr>
			</thead>
			<tbody>
				{keys.map((key) => (
					<tr>
						<td>{key.name}</td>
						<td>
							<code>{key.prefix}</code>
						</td>
						<td>{key.scopes.join(", ")}</td>
						<td class="optional">{key.tenantId ?? <span class="muted">operator-wide</span>}</td>
						<td class="optional">
							<When at={key.expiresAt} />
						</td>
						<td class="optional">
							<When at={key.lastUsedAt} />
						</td>
						<td>
							<form method="post" action={`${base}/keys/${encodeURIComponent(key.id)}/revoke`}>
								<Csrf token={csrf} />
								<button type="submit" class="danger">
									Revoke
								</button>
							</form>
						</td>
					</tr>
				))}
			</tbody>
		</table>
	</div>
);
