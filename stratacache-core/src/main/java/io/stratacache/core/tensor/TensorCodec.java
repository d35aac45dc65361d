package io.stratacache.core.tensor;

import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.CodecException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The {@code stable} tensor codec: a tensor's payload is its raw bytes in C order, and its dtype
 * and shape live in the artifact's meta ({@value #ATTR_DTYPE} {@code = BF16}, {@value
 * #ATTR_SHAPE} {@code = [32,2,256,8,128]}, {@value #ATTR_CODEC} {@code = stable}). With {@code
 * tensor_header_in_payload} the payload also starts with a safetensors header ({@link
 * SafetensorsLayout}) naming one tensor, {@value #TENSOR_NAME}, so that the payload, written to a
 * file as is, opens with any safetensors reader; the meta says so ({@value #ATTR_HEADER} {@code = true}). Decoding also
 * reads shapes without brackets ({@code 32,2,256}) and dtype labels such as {@code bf16} or
 * {@code fp8_e4m3}, as earlier versions wrote them; every writer here writes the safetensors name
 * and the bracketed shape.
 *
 * <p>An instance is the writing side for one setting of the header ({@link #RAW}, {@link
 * #WITH_HEADER}); {@link #decode} reads either, as the meta says. To fill tier memory in place:
 *
 * <pre>{@code
 * TensorCodec codec = TensorCodec.of(kv.tensorHeaderInPayload());
 * ArtifactMeta meta = codec.meta(ArtifactType.KV_BLOCKS, DType.BF16, 32, 2, 256, 8, 128);
 * try (Reservation r = layer.reserve(id, meta, codec.encodedSize(DType.BF16, 32, 2, 256, 8, 128))) {
 *   MemorySegment data = codec.writeHeader(r.segment(), DType.BF16, 32, 2, 256, 8, 128);
 *   gatherKvInto(data);   // exactly the tensor's bytes
 *   r.commit();
 * }
 * }</pre>
 *
 * <p>Writing methods throw {@link IllegalArgumentException} for arguments that do not agree (a
 * negative dimension, data of the wrong size); {@link #decode} throws {@link CodecException} for
 * any payload or meta that does not, and never returns data of another size than the shape says.
 */
public final class TensorCodec {
  /** The codec's name, in the meta and in {@code kv.tensor_codec}. */
  public static final String NAME = "stable";

  /** Meta attribute naming the codec (as the configuration key {@code kv.tensor_codec}). */
  public static final String ATTR_CODEC = "tensor_codec";

  /** Meta attribute holding the dtype's safetensors name. */
  public static final String ATTR_DTYPE = "tensor_dtype";

  /** Meta attribute holding the shape, e.g. {@code [32,2,256,8,128]}. */
  public static final String ATTR_SHAPE = "tensor_shape";

  /** Meta attribute, {@code true} when the payload starts with a header; absent means false. */
  public static final String ATTR_HEADER = "tensor_header_in_payload";

  /** The name of the one tensor in an in-payload header. */
  public static final String TENSOR_NAME = "tensor";

  /** Writes payloads of raw data. */
  public static final TensorCodec RAW = new TensorCodec(false);

  /** Writes payloads that start with a safetensors-compatible header. */
  public static final TensorCodec WITH_HEADER = new TensorCodec(true);

  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private final boolean headerInPayload;

  private TensorCodec(boolean headerInPayload) {
    this.headerInPayload = headerInPayload;
  }

  /** {@link #WITH_HEADER} or {@link #RAW}. */
  public static TensorCodec of(boolean headerInPayload) {
    return headerInPayload ? WITH_HEADER : RAW;
  }

  /** Whether this codec writes a header into payloads. */
  public boolean headerInPayload() {
    return headerInPayload;
  }

  /** A decoded tensor: {@code data} is a slice of the payload, exactly the tensor's bytes. */
  public record Tensor(DType dtype, long[] shape, MemorySegment data) {
    public Tensor {
      shape = shape.clone();
    }

    /** The shape; a fresh copy. */
    @Override
    public long[] shape() {
      return shape.clone();
    }

    /** The product of the shape (1 for a scalar). */
    public long elementCount() {
      return data.byteSize() / dtype.byteSize();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Tensor t && dtype == t.dtype && Arrays.equals(shape, t.shape) && data.equals(t.data);
    }

    @Override
    public int hashCode() {
      return (dtype.hashCode() * 31 + Arrays.hashCode(shape)) * 31 + data.hashCode();
    }

    @Override
    public String toString() {
      return "Tensor[" + dtype + " " + formatShape(shape) + ", " + data.byteSize() + " bytes]";
    }
  }

  // ---- meta

  /** Meta of {@code type} describing a tensor written by this codec. */
  public ArtifactMeta meta(ArtifactType type, DType dtype, long... shape) {
    return describe(ArtifactMeta.builder(type), dtype, shape).build();
  }

  /**
   * Adds the attributes describing a tensor written by this codec to {@code meta}: {@value
   * #ATTR_CODEC}, {@value #ATTR_DTYPE}, {@value #ATTR_SHAPE} and, with a header, {@value
   * #ATTR_HEADER}.
   *
   * @throws IllegalArgumentException if the shape has a negative dimension or too many bytes
   */
  public ArtifactMeta.Builder describe(ArtifactMeta.Builder meta, DType dtype, long... shape) {
    dataSize(dtype, shape);
    meta.attribute(ATTR_CODEC, NAME).attribute(ATTR_DTYPE, dtype.safetensorsName()).attribute(ATTR_SHAPE, formatShape(shape));
    if (headerInPayload) {
      meta.attribute(ATTR_HEADER, "true");
    }
    return meta;
  }

  /** {@code [32,2,256,8,128]}; {@code []} for a scalar. */
  public static String formatShape(long... shape) {
    StringBuilder sb = new StringBuilder(2 + shape.length * 6).append('[');
    for (int i = 0; i < shape.length; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(shape[i]);
    }
    return sb.append(']').toString();
  }

  /**
   * Parses {@link #formatShape} text, or the same list without brackets ({@code 32,2,256}); spaces
   * are allowed around numbers. {@code []} is a scalar.
   *
   * @throws CodecException if {@code text} is not a list of dimensions of 0 or more
   */
  public static long[] parseShape(String text) {
    String t = text.strip();
    boolean open = t.startsWith("[");
    if (open != (t.length() > 1 && t.endsWith("]")) || t.isEmpty()) {
      throw new CodecException("tensor: shape \"" + text + "\" (expected: [d0,d1,...] of whole numbers, e.g. [32,2,256])");
    }
    String inner = open ? t.substring(1, t.length() - 1).strip() : t;
    if (inner.isEmpty()) {
      return new long[0];
    }
    String[] parts = inner.split(",", -1);
    long[] shape = new long[parts.length];
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i].strip();
      try {
        if (p.isEmpty() || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
          throw new NumberFormatException(p);
        }
        shape[i] = Long.parseLong(p);
      } catch (NumberFormatException e) {
        throw new CodecException(
            "tensor: shape \"" + text + "\" has dimension " + i + " = \"" + p + "\" (expected: a whole number, 0 or more)");
      }
    }
    return shape;
  }

  // ---- sizes

  /**
   * Bytes of a tensor of {@code dtype} and {@code shape}: the product of the shape times the
   * dtype's size.
   *
   * @throws IllegalArgumentException if a dimension is negative or the size exceeds 2^63-1
   */
  public static long dataSize(DType dtype, long... shape) {
    long n = dtype.byteSize();
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("shape " + formatShape(shape) + " (expected: dimensions of 0 or more)");
      }
      try {
        n = Math.multiplyExact(n, d);
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException(
            "shape " + formatShape(shape) + " of " + dtype + " (expected: at most " + Long.MAX_VALUE + " bytes)", e);
      }
    }
    return n;
  }

  /** Bytes of the payload this codec writes for such a tensor, header included. */
  public long encodedSize(DType dtype, long... shape) {
    long data = dataSize(dtype, shape);
    return headerInPayload ? Math.addExact(SafetensorsLayout.dataOffset(headerJson(dtype, shape, data).length), data) : data;
  }

  // ---- encode

  /**
   * Writes the header, if this codec has one, at the start of {@code dst} and returns the slice
   * of {@code dst} where the data goes, for the caller to fill in place. {@code dst} must be
   * exactly {@link #encodedSize} bytes.
   *
   * @throws IllegalArgumentException if {@code dst} has another size, or the shape is invalid
   */
  public MemorySegment writeHeader(MemorySegment dst, DType dtype, long... shape) {
    long data = dataSize(dtype, shape);
    if (!headerInPayload) {
      requireSize(dst, data, dtype, shape);
      return dst;
    }
    byte[] json = headerJson(dtype, shape, data);
    long offset = SafetensorsLayout.dataOffset(json.length);
    requireSize(dst, offset + data, dtype, shape);
    dst.set(LONG, SafetensorsLayout.HEADER_LENGTH_OFFSET, json.length);
    MemorySegment.copy(json, 0, dst, ValueLayout.JAVA_BYTE, SafetensorsLayout.HEADER_OFFSET, json.length);
    return dst.asSlice(offset, data);
  }

  private void requireSize(MemorySegment dst, long expected, DType dtype, long[] shape) {
    if (dst.byteSize() != expected) {
      throw new IllegalArgumentException("destination: " + dst.byteSize() + " bytes (expected: " + expected + " for "
          + dtype + " " + formatShape(shape) + (headerInPayload ? " with its header)" : ")"));
    }
  }

  /**
   * Encodes {@code data} into {@code dst}, which must be exactly {@link #encodedSize} bytes.
   *
   * @throws IllegalArgumentException if {@code data} or {@code dst} has the wrong size
   */
  public void encodeInto(MemorySegment data, MemorySegment dst, DType dtype, long... shape) {
    long expected = dataSize(dtype, shape);
    if (data.byteSize() != expected) {
      throw new IllegalArgumentException(
          "data: " + data.byteSize() + " bytes (expected: " + expected + " for " + dtype + " " + formatShape(shape) + ")");
    }
    MemorySegment.copy(data, 0, writeHeader(dst, dtype, shape), 0, expected);
  }

  /**
   * Encodes {@code data} into a new segment from {@code allocator}.
   *
   * @throws IllegalArgumentException if {@code data} has the wrong size
   */
  public MemorySegment encode(MemorySegment data, SegmentAllocator allocator, DType dtype, long... shape) {
    MemorySegment out = allocator.allocate(encodedSize(dtype, shape), SafetensorsLayout.ALIGNMENT);
    encodeInto(data, out, dtype, shape);
    return out;
  }

  /** The JSON header, padded with spaces to a multiple of {@link SafetensorsLayout#ALIGNMENT}. */
  private static byte[] headerJson(DType dtype, long[] shape, long dataBytes) {
    StringBuilder sb = new StringBuilder(96)
        .append("{\"").append(TENSOR_NAME).append("\":{\"").append(SafetensorsLayout.DTYPE).append("\":\"")
        .append(dtype.safetensorsName()).append("\",\"").append(SafetensorsLayout.SHAPE).append("\":").append(formatShape(shape))
        .append(",\"").append(SafetensorsLayout.DATA_OFFSETS).append("\":[0,").append(dataBytes).append("]}}");
    while (sb.length() % SafetensorsLayout.ALIGNMENT != 0) {
      sb.append(' ');
    }
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  // ---- decode

  /**
   * Decodes {@code payload} as the tensor {@code meta} describes. The result's data is a slice of
   * {@code payload} (no copy).
   *
   * @throws CodecException if the meta is not a {@code stable} tensor's, the payload's size
   *     disagrees with the shape, or an in-payload header is malformed or disagrees with the meta
   */
  public static Tensor decode(ArtifactMeta meta, MemorySegment payload) {
    String codec = meta.attribute(ATTR_CODEC);
    if (!NAME.equals(codec)) {
      throw new CodecException("tensor: meta " + ATTR_CODEC + " = " + quote(codec) + " (expected: \"" + NAME + "\")");
    }
    String dtypeName = meta.attribute(ATTR_DTYPE);
    if (dtypeName == null) {
      throw new CodecException("tensor: meta has no " + ATTR_DTYPE + " (expected: one of " + Arrays.toString(DType.values()) + ")");
    }
    DType dtype;
    try {
      dtype = DType.forName(dtypeName);
    } catch (IllegalArgumentException e) {
      throw new CodecException("tensor: meta " + ATTR_DTYPE + ": " + e.getMessage(), e);
    }
    String shapeText = meta.attribute(ATTR_SHAPE);
    if (shapeText == null) {
      throw new CodecException("tensor: meta has no " + ATTR_SHAPE + " (expected: e.g. [32,2,256,8,128])");
    }
    long[] shape = parseShape(shapeText);
    long size;
    try {
      size = dataSize(dtype, shape);
    } catch (IllegalArgumentException e) {
      throw new CodecException("tensor: " + e.getMessage(), e);
    }
    String header = meta.attribute(ATTR_HEADER);
    if (header == null || header.equals("false")) {
      if (payload.byteSize() != size) {
        throw new CodecException("tensor: payload of " + payload.byteSize() + " bytes (expected: " + size + " for "
            + dtype + " " + formatShape(shape) + ")");
      }
      return new Tensor(dtype, shape, payload);
    }
    if (!header.equals("true")) {
      throw new CodecException("tensor: meta " + ATTR_HEADER + " = \"" + header + "\" (expected: true or false)");
    }
    long offset = checkHeader(payload, dtype, shape, size);
    return new Tensor(dtype, shape, payload.asSlice(offset, size));
  }

  /**
   * Checks an in-payload header ({@link SafetensorsHeader}: the same rules as a safetensors file)
   * against the meta's dtype and shape; returns the data offset.
   */
  private static long checkHeader(MemorySegment payload, DType dtype, long[] shape, long size) {
    SafetensorsHeader header = SafetensorsHeader.read(payload, "tensor");
    TensorEntry tensor = header.entries().get(TENSOR_NAME);
    if (tensor == null || header.entries().size() != 1) {
      throw new CodecException("tensor: header tensors " + header.entries().keySet() + " (expected: exactly one, \""
          + TENSOR_NAME + "\")");
    }
    if (tensor.dtype() != dtype) {
      throw new CodecException("tensor: header dtype \"" + tensor.dtype().safetensorsName() + "\" (expected: \""
          + dtype.safetensorsName() + "\" as in the meta)");
    }
    if (!Arrays.equals(tensor.shape(), shape)) {
      throw new CodecException("tensor: header shape " + formatShape(tensor.shape()) + " (expected: " + formatShape(shape)
          + " as in the meta)");
    }
    long offset = SafetensorsLayout.dataOffset(SafetensorsHeader.headerLength(payload, "tensor"));
    long dataBytes = payload.byteSize() - offset;
    if (tensor.begin() != 0 || tensor.end() != size || dataBytes != size) {
      throw new CodecException("tensor: header data_offsets [" + tensor.begin() + "," + tensor.end() + "] with " + dataBytes
          + " bytes after the header (expected: [0," + size + "] and " + size + " bytes for " + dtype + " "
          + formatShape(shape) + ")");
    }
    return offset;
  }

  private static String quote(String s) {
    return s == null ? "null" : "\"" + s + "\"";
  }
}
