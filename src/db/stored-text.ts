// The large texts of the history — an event's data and a notification's stored
// request body — kept gzip-compressed from COMPRESS_FROM_BYTES on, when that
// saves at least a fifth: they are most of a shard's bytes (docs/scaling.md).
// A compressed text is a BLOB in its TEXT column, so the value's own type says
// which it is, and no row changes shape: what was stored as text before reads
// as it always did. D1 hands a BLOB back as an array of byte values.
//
// Unpacking gives back the stored string exactly: the bytes are the string's
// UTF-8 (as D1 stores text) and are decoded with nothing dropped, a leading
// byte-order mark included.
import { customType } from "drizzle-orm/sqlite-core";

/** Texts this long (UTF-8 bytes) and longer are worth compressing: below it a row fits its page anyway. */
export const COMPRESS_FROM_BYTES = 1024;
/** Compressed, a text must come to at most this share of its bytes, or it is kept as text. */
const WORTH_IT = 0.8;

/** What a stored text column holds: the text, or its gzip bytes. */
export type StoredText = string | Uint8Array;

/** A stored text as D1 returns it (a BLOB as an array of byte values) or as a column maps it. */
export type StoredValue = StoredText | number[] | ArrayBuffer;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

const through = async (bytes: Uint8Array, stream: CompressionStream | DecompressionStream) =>
	new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(stream)).arrayBuffer());

/** `text` as it is stored: gzip bytes when it is long and compresses well, else the text itself. */
export const packText = async (text: string): Promise<StoredText> => {
	// At most 3 UTF-8 bytes per UTF-16 unit: anything this short is under the threshold.
	if (text.length * 3 < COMPRESS_FROM_BYTES) return text;
	const bytes = encoder.encode(text);
	if (bytes.byteLength < COMPRESS_FROM_BYTES) return text;
	const packed = await through(bytes, new CompressionStream("gzip"));
	return packed.byteLength <= bytes.byteLength * WORTH_IT ? packed : text;
};

/** The bytes of a stored value that is not text. */
const bytesOf = (value: Exclude<StoredValue, string>) => (value instanceof Uint8Array ? value : new Uint8Array(value));

/** A stored value as the column maps it: text stays text, a BLOB becomes bytes. */
export const storedTextOf = (value: StoredValue): StoredText => (typeof value === "string" ? value : bytesOf(value));

/** The text a stored value holds. */
export const unpackText = async (value: StoredValue): Promise<string> =>
	typeof value === "string" ? value : decoder.decode(await through(bytesOf(value), new DecompressionStream("gzip")));

/** The same, for a column that may be null. */
export const unpackNullable = async (value: StoredValue | null): Promise<string | null> =>
	value === null ? null : unpackText(value);

/** A TEXT column that may hold a packed text (see above); its values are unpacked by whoever reads them. */
export const storedText = customType<{ data: StoredText; driverData: StoredValue }>({
	dataType: () => "text",
	fromDriver: storedTextOf,
});
