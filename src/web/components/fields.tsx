// Labelled form controls that show the API's errors for their field under
// them (see forms/problem.ts for how a problem's paths map to fields).
import type { Child, FC } from "hono/jsx";

export type FieldErrors = Record<string, string[]>;

export const FieldError: FC<{ errors: FieldErrors; name: string }> = ({ errors, name }) => {
	const list = errors[name];
	return list && list.length > 0 ? (
		<div class="error" role="alert">
			{list.join("; ")}
		</div>
	) : null;
};

type FieldProps = { name: string; label: string; hint?: Child; errors: FieldErrors };

/** A labelled text input with its API errors under it. */
export const Field: FC<
	FieldProps & { value?: string; required?: boolean; type?: string; autocomplete?: string; inputmode?: "numeric" }
> = ({ name, label, hint, errors, ...input }) => (
	<div>
		<label for={name}>
			{label} {hint && <small>{hint}</small>}
		</label>
		<input id={name} name={name} {...input} />
		<FieldError errors={errors} name={name} />
	</div>
);

/** A labelled select of `options` with its API errors under it. */
export const Choice: FC<FieldProps & { options: readonly string[]; value: string }> = ({
	name,
	label,
	errors,
	options,
	value,
}) => (
	<div>
		<label for={name}>{label}</label>
		<select id={name} name={name}>
			{options.map((o) => (
				<option value={o} selected={value === o}>
					{o}
				</option>
			))}
		</select>
		<FieldError errors={errors} name={name} />
	</div>
);
