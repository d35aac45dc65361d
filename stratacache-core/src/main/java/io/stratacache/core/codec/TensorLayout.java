package io.stratacache.core.codec;

/**
 * The header a {@code stable} tensor payload carries when {@code tensor_header_in_payload} is on:
 * the layout of a safetensors file holding one tensor named {@value #TENSOR_NAME}, so that the
 * payload, written to a file as is, opens with any safetensors reader.
 *
 * <pre>
 *  0                 8                                            8 + N
 *  +-----------------+--------------------------------------------+------------------+
 *  | N (u64, LE)     | {"tensor":{"dtype":"BF16","shape":[2,3],   | data: the tensor |
 *  |                 |  "data_offsets":[0,12]}}   + ' ' padding   | in C order,      |
 *  |                 |                                            | nbytes bytes     |
 *  +-----------------+--------------------------------------------+------------------+
 * </pre>
 *
 * <p>N counts the JSON and its padding of spaces; the writer pads N to a multiple of {@value
 * #ALIGNMENT} so that the data starts 8-byte aligned. {@code data_offsets} are relative to the
 * start of the data: {@code [0, nbytes]}, where {@code nbytes} is the product of the shape times
 * the dtype's size. Without the header, a payload is the data alone.
 */
public final class TensorLayout {
  /** Offset of N, the length of the JSON header (u64, little-endian). */
  public static final int HEADER_LENGTH_OFFSET = 0;

  /** Offset of the JSON header. */
  public static final int HEADER_OFFSET = 8;

  /** The writer pads the JSON header to a multiple of this. */
  public static final int ALIGNMENT = 8;

  /** Largest header accepted on decode. */
  public static final int MAX_HEADER_BYTES = 1 << 20;

  /** The name of the one tensor in the header. */
  public static final String TENSOR_NAME = "tensor";

  /** The optional free-form entry of a safetensors header. */
  public static final String METADATA_NAME = "__metadata__";

  private TensorLayout() {}

  /** Offset of the data in a payload whose JSON header has {@code headerLength} bytes. */
  public static long dataOffset(long headerLength) {
    return HEADER_OFFSET + headerLength;
  }
}
