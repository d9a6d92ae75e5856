// The console's tenant picker, in every signed-in page's header: which tenant
// the pages act for, and a form to switch. It is a plain GET form (switching
// changes nothing, it only navigates): /console/pick sends the browser to the
// same section of the chosen tenant's pages.
import type { FC } from "hono/jsx";

/** What the header shows: the tenant picked (none when it does not exist), the menu, the section to keep. */
export type Picker = {
	/** With the region it sends from (the Sender IPs page marks it). */
	picked: { id: string; name: string; region: string | null } | undefined;
	tenants: { id: string; name: string }[];
	section: string;
};

export const TenantPicker: FC<{ picker: Picker }> = ({ picker: { picked, tenants, section } }) => (
	<form method="get" action="/console/pick" class="picker">
		<label for="picker-tenant">Tenant</label>
		<select id="picker-tenant" name="tenant">
			{!picked && (
				<option value="" selected disabled>
					Choose a tenant
				</option>
			)}
			{/* A tenant beyond the menu stays shown as picked. */}
			{picked && !tenants.some((t) => t.id === picked.id) && (
				<option value={picked.id} selected>
					{picked.name} ({picked.id})
				</option>
			)}
			{tenants.map((t) => (
				<option value={t.id} selected={t.id === picked?.id}>
					{t.name} ({t.id})
				</option>
			))}
		</select>
		<input type="hidden" name="section" value={section} />
		<button type="submit" class="secondary">
			Switch
		</button>
	</form>
);
