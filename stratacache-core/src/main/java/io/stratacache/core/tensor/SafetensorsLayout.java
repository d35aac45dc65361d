package io.stratacache.core.tensor;

/**
 * The safetensors format, as written by Hugging Face {@code safetensors}: the one layout of
 * tensor files ({@link SafetensorsFile}, {@link SafetensorsWriter}) and of tensor payloads that
 * carry a header ({@link TensorCodec}, one tensor named {@value TensorCodec#TENSOR_NAME}).
 *
 * <pre>
 *  0                8                          8 + N
 *  +----------------+--------------------------+---------------------------------+
 *  | N (u64, LE)    | header (UTF-8 JSON,      | data: the tensors' raw bytes,   |
 *  |                | padded with ' ' to 8)    | C order, little-endian          |
 *  +----------------+--------------------------+---------------------------------+
 *
 *  header = { "__metadata__": { "key": "value", ... },          (optional, strings only)
 *             "name": { "dtype": "F32" | "F16" | "BF16" | ...,
 *                       "shape": [d0, d1, ...],
 *                       "data_offsets": [begin, end] },           (relative to the data start)
 *             ... }
 * </pre>
 *
 * <p>Rules every reader here applies ({@link SafetensorsHeader}): N is 2 to {@value
 * #MAX_HEADER_BYTES} (the reference implementation's limit) and lies inside the file; the header
 * is one JSON object in which no key appears twice, at any depth; a tensor entry has exactly the
 * keys {@code dtype}, {@code shape} and {@code data_offsets}; its {@code end - begin} equals the
 * product of its shape times the size of its dtype; tensors do not overlap. Writers here pad the
 * header with spaces so that the data starts at a multiple of {@value #ALIGNMENT}.
 */
public final class SafetensorsLayout {
  /** Offset of N, the length of the JSON header (u64, little-endian). */
  public static final int HEADER_LENGTH_OFFSET = 0;

  /** Offset of the JSON header. */
  public static final int HEADER_OFFSET = 8;

  /** Writers pad the header so that the data starts at a multiple of this. */
  public static final int ALIGNMENT = 8;

  /** Largest header accepted, in bytes: 100,000,000, as in the reference implementation. */
  public static final long MAX_HEADER_BYTES = 100_000_000L;

  /** Name of the optional string-to-string metadata entry. */
  public static final String METADATA_KEY = "__metadata__";

  /** Key of a tensor entry: the dtype's safetensors name. */
  public static final String DTYPE = "dtype";

  /** Key of a tensor entry: the dimensions. */
  public static final String SHAPE = "shape";

  /** Key of a tensor entry: {@code [begin, end]}, relative to the data start. */
  public static final String DATA_OFFSETS = "data_offsets";

  private SafetensorsLayout() {}

  /** Offset of the data section in a file whose header is {@code headerLength} bytes. */
  public static long dataOffset(long headerLength) {
    return HEADER_OFFSET + headerLength;
  }

  /** {@code jsonLength} rounded up so that the data after a header of that many bytes is aligned. */
  public static long paddedHeaderLength(long jsonLength) {
    return (HEADER_OFFSET + jsonLength + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT - HEADER_OFFSET;
  }
}
