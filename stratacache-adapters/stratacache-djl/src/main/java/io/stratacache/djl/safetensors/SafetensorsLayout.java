package io.stratacache.djl.safetensors;

/**
 * The safetensors file format, as written by Hugging Face {@code safetensors}.
 *
 * <pre>
 *  0                8                          8 + headerLength
 *  +----------------+--------------------------+---------------------------------+
 *  | headerLength   | header (UTF-8 JSON,      | data: the tensors' raw bytes,   |
 *  | u64 little-end.| padded with ' ' to 8)    | C order, little-endian          |
 *  +----------------+--------------------------+---------------------------------+
 *
 *  header = { "__metadata__": { "key": "value", ... },          (optional, strings only)
 *             "name": { "dtype": "F32" | "F16" | "BF16" | ...,
 *                       "shape": [d0, d1, ...],
 *                       "data_offsets": [begin, end] },           (relative to the data start)
 *             ... }
 * </pre>
 *
 * <p>A tensor's {@code end - begin} equals the product of its shape times the size of its dtype;
 * tensors do not overlap. The header of files written here is padded with spaces so that the
 * data starts at a multiple of {@value #DATA_ALIGNMENT}.
 */
public final class SafetensorsLayout {
  /** Offset of the header length. */
  public static final int HEADER_LENGTH_OFFSET = 0;

  /** Offset of the JSON header. */
  public static final int HEADER_OFFSET = 8;

  /** Alignment of the data section in files written here. */
  public static final int DATA_ALIGNMENT = 8;

  /** Largest header accepted (the reference implementation's limit). */
  public static final long MAX_HEADER_BYTES = 100L << 20;

  /** Name of the optional string-to-string metadata entry. */
  public static final String METADATA_KEY = "__metadata__";

  private SafetensorsLayout() {}

  /** Offset of the data section in a file whose header is {@code headerLength} bytes. */
  public static long dataOffset(long headerLength) {
    return HEADER_OFFSET + headerLength;
  }
}
