// A posted form as the pages read it: hono's parseBody result, and its text
// fields (an absent field or a file reads as "").

/** A posted form as hono's parseBody gives it. */
export type FormBody = Record<string, string | File | (string | File)[]>;

/** The text of a form field; absent or a file reads as "". */
export const fieldOf = (form: FormBody) => (name: string) => {
	const value = form[name];
	return typeof value === "string" ? value : "";
};

/** Every text value of a field posted several times (checkboxes of one name); read with parseBody({ all: true }). */
export const allOf = (form: FormBody, name: string): string[] =>
	[form[name] ?? []].flat().filter((v): v is string => typeof v === "string");
