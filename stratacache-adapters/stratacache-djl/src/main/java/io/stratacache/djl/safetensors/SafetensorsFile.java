package io.stratacache.djl.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.stratacache.core.CodecException;
import io.stratacache.core.StrataCacheException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A safetensors file mapped read-only into memory ({@link SafetensorsLayout}). Tensors are
 * handed out as read-only slices of the mapping: zero copies, valid until {@link #close()}.
 *
 * <p>Opening validates the whole header: the length prefix, the JSON, every entry's dtype, shape
 * and offsets (in bounds, matching the shape, not overlapping). A file that fails any check is
 * refused with a {@link CodecException} naming the file and the problem; no tensor of it is
 * readable.
 *
 * <p>Thread-safe: slices may be read from any thread until the file is closed. Reading a slice
 * after {@link #close()} throws {@link IllegalStateException}.
 */
public final class SafetensorsFile implements AutoCloseable {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final Path path;
  private final Arena arena;
  private final MemorySegment data;
  private final Map<String, TensorEntry> entries;
  private final Map<String, String> metadata;
  private final AtomicBoolean closed = new AtomicBoolean();

  private SafetensorsFile(Path path, Arena arena, MemorySegment data, Map<String, TensorEntry> entries, Map<String, String> metadata) {
    this.path = path;
    this.arena = arena;
    this.data = data;
    this.entries = entries;
    this.metadata = metadata;
  }

  /**
   * Maps and validates {@code path}.
   *
   * @throws CodecException if the file is not a valid safetensors file
   * @throws StrataCacheException if the file cannot be read
   */
  public static SafetensorsFile open(Path path) {
    Arena arena = Arena.ofShared();
    boolean success = false;
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < SafetensorsLayout.HEADER_OFFSET) {
        throw new CodecException(path + ": " + size + " bytes (expected: at least " + SafetensorsLayout.HEADER_OFFSET + ")");
      }
      MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena).asReadOnly();
      long headerLength = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), SafetensorsLayout.HEADER_LENGTH_OFFSET);
      if (headerLength < 2 || headerLength > SafetensorsLayout.MAX_HEADER_BYTES || SafetensorsLayout.dataOffset(headerLength) > size) {
        throw new CodecException(
            path + ": header length " + headerLength + " (expected: 2 to " + Math.min(SafetensorsLayout.MAX_HEADER_BYTES, size - SafetensorsLayout.HEADER_OFFSET) + ")");
      }
      byte[] header = file.asSlice(SafetensorsLayout.HEADER_OFFSET, headerLength).toArray(ValueLayout.JAVA_BYTE);
      MemorySegment data = file.asSlice(SafetensorsLayout.dataOffset(headerLength));
      Map<String, String> metadata = new LinkedHashMap<>();
      Map<String, TensorEntry> entries = parseHeader(path, header, data.byteSize(), metadata);
      SafetensorsFile f = new SafetensorsFile(path, arena, data, entries, Collections.unmodifiableMap(metadata));
      success = true;
      return f;
    } catch (IOException e) {
      throw new StrataCacheException(path + ": cannot read safetensors file: " + e.getMessage(), e);
    } finally {
      if (!success) {
        arena.close();
      }
    }
  }

  private static Map<String, TensorEntry> parseHeader(Path path, byte[] header, long dataSize, Map<String, String> metadata) {
    JsonNode root;
    try {
      root = JSON.readTree(new String(header, StandardCharsets.UTF_8));
    } catch (JsonProcessingException e) {
      throw new CodecException(path + ": header is not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new CodecException(path + ": header is " + (root == null ? "empty" : root.getNodeType()) + " (expected: a JSON object)");
    }
    Map<String, TensorEntry> entries = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : root.properties()) {
      String name = e.getKey();
      JsonNode v = e.getValue();
      if (name.equals(SafetensorsLayout.METADATA_KEY)) {
        if (!v.isObject()) {
          throw new CodecException(path + ": " + name + " is " + v.getNodeType() + " (expected: an object of strings)");
        }
        for (Map.Entry<String, JsonNode> m : v.properties()) {
          if (!m.getValue().isTextual()) {
            throw new CodecException(path + ": " + name + "." + m.getKey() + " is " + m.getValue() + " (expected: a string)");
          }
          metadata.put(m.getKey(), m.getValue().asText());
        }
        continue;
      }
      entries.put(name, parseEntry(path, name, v, dataSize));
    }
    List<TensorEntry> byOffset = new ArrayList<>(entries.values());
    byOffset.sort(Comparator.comparingLong(TensorEntry::begin));
    for (int i = 1; i < byOffset.size(); i++) {
      TensorEntry prev = byOffset.get(i - 1);
      TensorEntry cur = byOffset.get(i);
      if (cur.begin() < prev.end() && cur.byteSize() > 0) {
        throw new CodecException(path + ": tensor " + cur + " overlaps " + prev + " (expected: disjoint byte ranges)");
      }
    }
    return Collections.unmodifiableMap(entries);
  }

  private static TensorEntry parseEntry(Path path, String name, JsonNode v, long dataSize) {
    String where = path + ": tensor " + name;
    if (!v.isObject()) {
      throw new CodecException(where + " is " + v.getNodeType() + " (expected: {dtype, shape, data_offsets})");
    }
    JsonNode dtype = v.get("dtype");
    JsonNode shape = v.get("shape");
    JsonNode offsets = v.get("data_offsets");
    if (dtype == null || !dtype.isTextual()) {
      throw new CodecException(where + ": dtype " + dtype + " (expected: a string)");
    }
    TensorDType type;
    try {
      type = TensorDType.parse(dtype.asText());
    } catch (IllegalArgumentException e) {
      throw new CodecException(where + ": " + e.getMessage(), e);
    }
    if (shape == null || !shape.isArray()) {
      throw new CodecException(where + ": shape " + shape + " (expected: an array of integers)");
    }
    long[] dims = new long[shape.size()];
    for (int i = 0; i < dims.length; i++) {
      JsonNode d = shape.get(i);
      if (!d.isIntegralNumber() || d.asLong() < 0) {
        throw new CodecException(where + ": shape " + shape + " (expected: integers >= 0)");
      }
      dims[i] = d.asLong();
    }
    if (offsets == null || !offsets.isArray() || offsets.size() != 2
        || !offsets.get(0).isIntegralNumber() || !offsets.get(1).isIntegralNumber()) {
      throw new CodecException(where + ": data_offsets " + offsets + " (expected: [begin, end])");
    }
    long begin = offsets.get(0).asLong();
    long end = offsets.get(1).asLong();
    if (begin < 0 || end < begin || end > dataSize) {
      throw new CodecException(where + ": data_offsets [" + begin + ", " + end + "] (expected: within the " + dataSize + " data bytes)");
    }
    try {
      return new TensorEntry(name, type, dims, begin, end);
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new CodecException(path + ": " + e.getMessage(), e);
    }
  }

  /** The file this was opened from. */
  public Path path() {
    return path;
  }

  /** The tensors, in header order. */
  public Map<String, TensorEntry> entries() {
    return entries;
  }

  /** The {@value SafetensorsLayout#METADATA_KEY} entry; empty if absent. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** Whether the file has a tensor called {@code name}. */
  public boolean contains(String name) {
    return entries.containsKey(name);
  }

  /**
   * The entry of tensor {@code name}.
   *
   * @throws CodecException if there is no such tensor
   */
  public TensorEntry entry(String name) {
    TensorEntry e = entries.get(name);
    if (e == null) {
      throw new CodecException(path + ": no tensor " + name + " (the file has " + entries.size() + " tensors)");
    }
    return e;
  }

  /**
   * The raw little-endian bytes of tensor {@code name}: a read-only slice of the mapping, valid
   * until this file is closed.
   *
   * @throws CodecException if there is no such tensor
   */
  public MemorySegment bytes(String name) {
    TensorEntry e = entry(name);
    return data.asSlice(e.begin(), e.byteSize());
  }

  /** Unmaps the file. Slices handed out become inaccessible. Idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      arena.close();
    }
  }
}
