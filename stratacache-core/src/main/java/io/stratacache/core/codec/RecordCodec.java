package io.stratacache.core.codec;

import static io.stratacache.core.codec.RecordLayout.HEADER_CRC_OFFSET;
import static io.stratacache.core.codec.RecordLayout.HEADER_LENGTH_OFFSET;
import static io.stratacache.core.codec.RecordLayout.MAGIC;
import static io.stratacache.core.codec.RecordLayout.MAGIC_OFFSET;
import static io.stratacache.core.codec.RecordLayout.MAX_HEADER_BYTES;
import static io.stratacache.core.codec.RecordLayout.PAYLOAD_CRC_OFFSET;
import static io.stratacache.core.codec.RecordLayout.PAYLOAD_LENGTH_OFFSET;
import static io.stratacache.core.codec.RecordLayout.PREFIX_BYTES;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.CodecException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Encodes and decodes {@linkplain RecordLayout SCR1 records}. Decoding validates everything and
 * throws {@link CodecException} for any malformed input: never an index error, never a wrong
 * payload.
 */
public final class RecordCodec {
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private RecordCodec() {}

  /** A record's fixed prefix and header, decoded and checked. */
  public record Header(ArtifactId id, ArtifactMeta meta, int headerLength, long payloadLength, int payloadCrc) {
    /** Offset of the payload for a layer with the given alignment. */
    public long payloadOffset(int alignment) {
      return RecordLayout.payloadOffset(headerLength, alignment);
    }

    /** Size of the whole record for a layer with the given alignment. */
    public long recordSize(int alignment) {
      return payloadOffset(alignment) + payloadLength;
    }
  }

  /** A decoded record; {@code payload} is a slice of the decoded segment. */
  public record Record(Header header, MemorySegment payload) {}

  /** The header JSON for {@code id} and {@code meta}. */
  public static byte[] headerJson(ArtifactId id, ArtifactMeta meta) {
    String quotedId;
    try {
      quotedId = JSON.writeValueAsString(id.value());
    } catch (JsonProcessingException e) {
      throw new CodecException("record: cannot encode id " + id, e);
    }
    return ("{\"id\":" + quotedId + ",\"meta\":" + meta.toJson() + "}").getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The bytes that go before the payload: prefix, header and padding to {@code alignment}.
   * The payload follows them directly.
   *
   * @throws IllegalArgumentException if {@code alignment} is not a power of two
   */
  public static byte[] encodePrefix(ArtifactId id, ArtifactMeta meta, MemorySegment payload, int alignment) {
    return encodePrefix(headerJson(id, meta), payload.byteSize(), Crc32c.of(payload), alignment);
  }

  /** As {@link #encodePrefix(ArtifactId, ArtifactMeta, MemorySegment, int)} with a known CRC. */
  public static byte[] encodePrefix(byte[] header, long payloadLength, int payloadCrc, int alignment) {
    long offset = RecordLayout.payloadOffset(header.length, alignment);
    byte[] out = new byte[Math.toIntExact(offset)];
    MemorySegment s = MemorySegment.ofArray(out);
    s.set(INT, MAGIC_OFFSET, MAGIC);
    s.set(INT, HEADER_LENGTH_OFFSET, header.length);
    s.set(LONG, PAYLOAD_LENGTH_OFFSET, payloadLength);
    s.set(INT, PAYLOAD_CRC_OFFSET, payloadCrc);
    s.set(INT, HEADER_CRC_OFFSET, Crc32c.of(MemorySegment.ofArray(header)));
    MemorySegment.copy(header, 0, s, ValueLayout.JAVA_BYTE, PREFIX_BYTES, header.length);
    return out;
  }

  /** Encodes a whole record into a fresh heap segment. */
  public static MemorySegment encode(ArtifactId id, ArtifactMeta meta, MemorySegment payload, int alignment) {
    byte[] prefix = encodePrefix(id, meta, payload, alignment);
    MemorySegment out = MemorySegment.ofArray(new byte[Math.toIntExact(prefix.length + payload.byteSize())]);
    MemorySegment.copy(MemorySegment.ofArray(prefix), 0, out, 0, prefix.length);
    MemorySegment.copy(payload, 0, out, prefix.length, payload.byteSize());
    return out;
  }

  /**
   * Length of the header JSON, read from a record's first {@value RecordLayout#PREFIX_BYTES}
   * bytes after checking the magic.
   *
   * @throws CodecException if the prefix is short, the magic is wrong or the length impossible
   */
  public static int headerLength(MemorySegment prefix) {
    if (prefix.byteSize() < PREFIX_BYTES) {
      throw new CodecException("record: " + prefix.byteSize() + " bytes (expected: at least " + PREFIX_BYTES + ")");
    }
    int magic = prefix.get(INT, MAGIC_OFFSET);
    if (magic != MAGIC) {
      throw new CodecException(String.format("record: magic 0x%08x (expected: 0x%08x, \"SCR1\")", magic, MAGIC));
    }
    int hdrLen = prefix.get(INT, HEADER_LENGTH_OFFSET);
    if (hdrLen <= 0 || hdrLen > MAX_HEADER_BYTES) {
      throw new CodecException("record: header length " + hdrLen + " (expected: 1 to " + MAX_HEADER_BYTES + ")");
    }
    return hdrLen;
  }

  /**
   * Decodes and checks the prefix and header; the payload is not read. {@code segment} must hold
   * at least the prefix and the header.
   *
   * @throws CodecException if anything is malformed
   */
  public static Header readHeader(MemorySegment segment) {
    int hdrLen = headerLength(segment);
    if (segment.byteSize() < PREFIX_BYTES + (long) hdrLen) {
      throw new CodecException(
          "record: " + segment.byteSize() + " bytes (expected: at least " + (PREFIX_BYTES + hdrLen) + " for the header)");
    }
    long payloadLength = segment.get(LONG, PAYLOAD_LENGTH_OFFSET);
    if (payloadLength < 0) {
      throw new CodecException("record: payload length " + payloadLength + " (expected: 0 or more)");
    }
    MemorySegment hdr = segment.asSlice(PREFIX_BYTES, hdrLen);
    int expectedHdrCrc = segment.get(INT, HEADER_CRC_OFFSET);
    int hdrCrc = Crc32c.of(hdr);
    if (hdrCrc != expectedHdrCrc) {
      throw new CodecException(
          String.format("record: header checksum 0x%08x (expected: 0x%08x as stored)", hdrCrc, expectedHdrCrc));
    }
    byte[] json = hdr.toArray(ValueLayout.JAVA_BYTE);
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (java.io.IOException e) {
      throw new CodecException("record: header is not valid JSON", e);
    }
    if (root == null || !root.isObject() || !root.path("id").isTextual()) {
      throw new CodecException("record: header " + root + " (expected: {\"id\":...,\"meta\":{...}})");
    }
    ArtifactId id;
    try {
      id = ArtifactId.of(root.get("id").asText());
    } catch (IllegalArgumentException e) {
      throw new CodecException("record: " + e.getMessage(), e);
    }
    ArtifactMeta meta = ArtifactMeta.fromJson(root.get("meta"));
    return new Header(id, meta, hdrLen, payloadLength, segment.get(INT, PAYLOAD_CRC_OFFSET));
  }

  /**
   * Decodes a whole record: {@code segment} must be exactly one record padded to {@code
   * alignment}. The payload is a slice of {@code segment}.
   *
   * @throws CodecException if anything is malformed or the checksum disagrees
   * @throws IllegalArgumentException if {@code alignment} is not a power of two
   */
  public static Record decode(MemorySegment segment, int alignment) {
    Header h = readHeader(segment);
    long offset = h.payloadOffset(alignment);
    if (segment.byteSize() != offset + h.payloadLength()) {
      throw new CodecException(
          "record " + h.id() + ": " + segment.byteSize() + " bytes (expected: " + (offset + h.payloadLength())
              + " = payload offset " + offset + " + payload length " + h.payloadLength() + ")");
    }
    MemorySegment payload = segment.asSlice(offset, h.payloadLength());
    verifyPayload(h, payload);
    return new Record(h, payload);
  }

  /**
   * Checks {@code payload} against the header's length and checksum.
   *
   * @throws CodecException if they disagree
   */
  public static void verifyPayload(Header h, MemorySegment payload) {
    if (payload.byteSize() != h.payloadLength()) {
      throw new CodecException(
          "record " + h.id() + ": payload of " + payload.byteSize() + " bytes (expected: " + h.payloadLength() + ")");
    }
    int crc = Crc32c.of(payload);
    if (crc != h.payloadCrc()) {
      throw new CodecException(
          String.format("record %s: payload checksum 0x%08x (expected: 0x%08x as stored)", h.id(), crc, h.payloadCrc()));
    }
  }
}
