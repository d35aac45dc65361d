package io.stratacache.core.tensor;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stratacache.core.CodecException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A parsed and checked safetensors header ({@link SafetensorsLayout}): the tensor entries in
 * header order and the metadata. The one reader of headers, used by {@link SafetensorsFile} and
 * by {@link TensorCodec} for payloads with a header, so both accept and refuse the same things;
 * every refusal is a {@link CodecException} that starts with the caller's {@code where} and names
 * the key or value at fault.
 *
 * @param entries the tensors, in header order
 * @param metadata the {@value SafetensorsLayout#METADATA_KEY} entry; empty if absent
 */
public record SafetensorsHeader(Map<String, TensorEntry> entries, Map<String, String> metadata) {
  private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final JsonFactory JSON = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(8).build())
      .build();
  private static final Set<String> ENTRY_KEYS =
      Set.of(SafetensorsLayout.DTYPE, SafetensorsLayout.SHAPE, SafetensorsLayout.DATA_OFFSETS);

  public SafetensorsHeader {
    entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
    metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
  }

  /**
   * Reads N, the header length, from the start of {@code bytes} (a file or payload of {@code
   * bytes.byteSize()} bytes) and checks it.
   *
   * @throws CodecException if there are fewer than 8 bytes, or N is below 2, above {@value
   *     SafetensorsLayout#MAX_HEADER_BYTES}, or runs past the end
   */
  public static long headerLength(MemorySegment bytes, String where) {
    Objects.requireNonNull(bytes, "bytes");
    Objects.requireNonNull(where, "where");
    long size = bytes.byteSize();
    if (size < SafetensorsLayout.HEADER_OFFSET) {
      throw new CodecException(where + ": " + size + " bytes (expected: at least " + SafetensorsLayout.HEADER_OFFSET
          + " for the header length)");
    }
    long n = bytes.get(LONG_LE, SafetensorsLayout.HEADER_LENGTH_OFFSET);
    if (n < 2 || n > SafetensorsLayout.MAX_HEADER_BYTES) {
      throw new CodecException(where + ": header length " + Long.toUnsignedString(n) + " (expected: 2 to "
          + SafetensorsLayout.MAX_HEADER_BYTES + ", the header size limit)");
    }
    if (n > size - SafetensorsLayout.HEADER_OFFSET) {
      throw new CodecException(where + ": header length " + n + " runs past the end (expected: at most "
          + (size - SafetensorsLayout.HEADER_OFFSET) + ", the bytes after the length)");
    }
    return n;
  }

  /**
   * Parses and checks the header of {@code bytes} (a whole file or payload): its length, its JSON,
   * every entry, and that the entries fit the data after it without overlapping.
   *
   * @throws CodecException naming what is wrong
   */
  public static SafetensorsHeader read(MemorySegment bytes, String where) {
    long n = headerLength(bytes, where);
    byte[] json = bytes.asSlice(SafetensorsLayout.HEADER_OFFSET, n).toArray(ValueLayout.JAVA_BYTE);
    return parse(json, bytes.byteSize() - SafetensorsLayout.dataOffset(n), where);
  }

  /**
   * Parses and checks header JSON followed by {@code dataBytes} bytes of data.
   *
   * @throws CodecException naming what is wrong
   */
  public static SafetensorsHeader parse(byte[] json, long dataBytes, String where) {
    Objects.requireNonNull(json, "json");
    Objects.requireNonNull(where, "where");
    ObjectNode root;
    try (JsonParser p = JSON.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new CodecException(where + ": header is " + (p.currentToken() == null ? "empty" : p.getText())
            + " (expected: a JSON object)");
      }
      root = readObject(p, "", where);
      JsonToken trailing = p.nextToken();
      if (trailing != null) {
        throw new CodecException(where + ": header has " + p.getText() + " after its object (expected: one JSON object)");
      }
    } catch (IOException e) {
      throw new CodecException(where + ": header is not valid JSON: " + e.getMessage(), e);
    }
    Map<String, TensorEntry> entries = new LinkedHashMap<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : root.properties()) {
      String name = e.getKey();
      JsonNode v = e.getValue();
      if (name.equals(SafetensorsLayout.METADATA_KEY)) {
        if (!v.isObject()) {
          throw new CodecException(where + ": " + name + " is " + v.getNodeType() + " (expected: an object of strings)");
        }
        for (Map.Entry<String, JsonNode> m : v.properties()) {
          if (!m.getValue().isTextual()) {
            throw new CodecException(where + ": " + name + "." + m.getKey() + " is " + m.getValue() + " (expected: a string)");
          }
          metadata.put(m.getKey(), m.getValue().asText());
        }
        continue;
      }
      entries.put(name, entry(where, name, v, dataBytes));
    }
    List<TensorEntry> byOffset = new ArrayList<>(entries.values());
    byOffset.sort(Comparator.comparingLong(TensorEntry::begin));
    for (int i = 1; i < byOffset.size(); i++) {
      TensorEntry prev = byOffset.get(i - 1);
      TensorEntry cur = byOffset.get(i);
      if (cur.begin() < prev.end() && cur.byteSize() > 0) {
        throw new CodecException(where + ": tensor " + cur + " overlaps " + prev + " (expected: disjoint byte ranges)");
      }
    }
    return new SafetensorsHeader(entries, metadata);
  }

  /** Reads the object whose START_OBJECT was just read, refusing a key that appears twice. */
  private static ObjectNode readObject(JsonParser p, String path, String where) throws IOException {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
      String key = p.currentName();
      String keyPath = path.isEmpty() ? key : path + "." + key;
      p.nextToken();
      JsonNode value = readValue(p, keyPath, where);
      if (node.has(key)) {
        throw new CodecException(where + ": header key \"" + keyPath + "\" appears twice (expected: each key once)");
      }
      node.set(key, value);
    }
    return node;
  }

  private static JsonNode readValue(JsonParser p, String path, String where) throws IOException {
    return switch (p.currentToken()) {
      case START_OBJECT -> readObject(p, path, where);
      case START_ARRAY -> {
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
          a.add(readValue(p, path + "[" + a.size() + "]", where));
        }
        yield a;
      }
      case VALUE_STRING -> JsonNodeFactory.instance.textNode(p.getText());
      case VALUE_NUMBER_INT -> JsonNodeFactory.instance.numberNode(p.getBigIntegerValue());
      case VALUE_NUMBER_FLOAT -> JsonNodeFactory.instance.numberNode(p.getDecimalValue());
      case VALUE_TRUE -> JsonNodeFactory.instance.booleanNode(true);
      case VALUE_FALSE -> JsonNodeFactory.instance.booleanNode(false);
      case VALUE_NULL -> JsonNodeFactory.instance.nullNode();
      default -> throw new CodecException(where + ": header value of \"" + path + "\" is " + p.currentToken() + " (expected: JSON)");
    };
  }

  private static TensorEntry entry(String where, String name, JsonNode v, long dataBytes) {
    String at = where + ": tensor " + name;
    if (!v.isObject()) {
      throw new CodecException(at + " is " + v.getNodeType() + " (expected: {dtype, shape, data_offsets})");
    }
    for (Map.Entry<String, JsonNode> e : v.properties()) {
      if (!ENTRY_KEYS.contains(e.getKey())) {
        throw new CodecException(at + ": key \"" + e.getKey() + "\" (expected: only dtype, shape and data_offsets)");
      }
    }
    JsonNode dtype = v.get(SafetensorsLayout.DTYPE);
    if (dtype == null || !dtype.isTextual()) {
      throw new CodecException(at + ": dtype " + dtype + " (expected: a string)");
    }
    DType type = null;
    for (DType t : DType.values()) {
      if (t.safetensorsName().equals(dtype.asText())) {
        type = t;
      }
    }
    if (type == null) {
      throw new CodecException(at + ": dtype " + dtype + " (expected: one of " + List.of(DType.values()) + ")");
    }
    long[] dims = longs(at, SafetensorsLayout.SHAPE, v.get(SafetensorsLayout.SHAPE));
    long[] offsets = longs(at, SafetensorsLayout.DATA_OFFSETS, v.get(SafetensorsLayout.DATA_OFFSETS));
    if (offsets.length != 2) {
      throw new CodecException(at + ": data_offsets " + v.get(SafetensorsLayout.DATA_OFFSETS) + " (expected: [begin, end])");
    }
    long begin = offsets[0];
    long end = offsets[1];
    if (end < begin || end > dataBytes) {
      throw new CodecException(at + ": data_offsets [" + begin + ", " + end + "] (expected: within the " + dataBytes + " data bytes)");
    }
    try {
      return new TensorEntry(name, type, dims, begin, end);
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new CodecException(where + ": " + e.getMessage(), e);
    }
  }

  private static long[] longs(String at, String key, JsonNode array) {
    if (array == null || !array.isArray()) {
      throw new CodecException(at + ": " + key + " " + array + " (expected: an array of whole numbers, 0 or more)");
    }
    long[] out = new long[array.size()];
    for (int i = 0; i < out.length; i++) {
      JsonNode d = array.get(i);
      if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
        throw new CodecException(at + ": " + key + " " + array + " (expected: whole numbers, 0 or more)");
      }
      out[i] = d.asLong();
    }
    return out;
  }
}
