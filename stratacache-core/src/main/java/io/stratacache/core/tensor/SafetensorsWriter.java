package io.stratacache.core.tensor;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stratacache.core.StrataCacheException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes a safetensors file ({@link SafetensorsLayout}): tensors in the order added, the header
 * padded with spaces so the data starts 8-byte aligned. The file appears atomically: it is
 * written beside the target under a temporary name, forced to disk, then moved into place.
 *
 * <p>Not thread-safe. The segments passed to {@link #add} are read during {@link #write} and must
 * stay alive until then.
 */
public final class SafetensorsWriter {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private record Pending(String name, DType dtype, long[] shape, MemorySegment bytes) {}

  private final Map<String, Pending> tensors = new LinkedHashMap<>();
  private final Map<String, String> metadata = new LinkedHashMap<>();

  /**
   * Adds a tensor whose raw little-endian bytes are {@code bytes}.
   *
   * @throws IllegalArgumentException if the name is taken or reserved, or the byte count does not
   *     match dtype and shape
   */
  public SafetensorsWriter add(String name, DType dtype, long[] shape, MemorySegment bytes) {
    Objects.requireNonNull(name, "name");
    if (name.isEmpty() || name.equals(SafetensorsLayout.METADATA_KEY)) {
      throw new IllegalArgumentException("tensor name: \"" + name + "\" (expected: non-empty, not " + SafetensorsLayout.METADATA_KEY + ")");
    }
    if (tensors.containsKey(name)) {
      throw new IllegalArgumentException("tensor name: " + name + " was already added");
    }
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(bytes, "bytes");
    long expected = TensorCodec.dataSize(dtype, shape);
    if (bytes.byteSize() != expected) {
      throw new IllegalArgumentException(
          "tensor " + name + ": " + bytes.byteSize() + " bytes (expected: " + expected + " for " + dtype + " " + java.util.Arrays.toString(shape) + ")");
    }
    tensors.put(name, new Pending(name, dtype, shape.clone(), bytes));
    return this;
  }

  /** Adds a {@value SafetensorsLayout#METADATA_KEY} entry. */
  public SafetensorsWriter metadata(String key, String value) {
    metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
    return this;
  }

  /**
   * Writes the file.
   *
   * @throws StrataCacheException if the file cannot be written; no partial file is left at {@code path}
   */
  public void write(Path path) {
    ObjectNode header = JSON.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode m = header.putObject(SafetensorsLayout.METADATA_KEY);
      metadata.forEach(m::put);
    }
    List<Pending> order = new ArrayList<>(tensors.values());
    long offset = 0;
    for (Pending p : order) {
      ObjectNode t = header.putObject(p.name());
      t.put(SafetensorsLayout.DTYPE, p.dtype().safetensorsName());
      ArrayNode shape = t.putArray(SafetensorsLayout.SHAPE);
      for (long d : p.shape()) {
        shape.add(d);
      }
      long end = offset + p.bytes().byteSize();
      t.putArray(SafetensorsLayout.DATA_OFFSETS).add(offset).add(end);
      offset = end;
    }
    byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
    int padded = Math.toIntExact(SafetensorsLayout.paddedHeaderLength(json.length));
    if (padded > SafetensorsLayout.MAX_HEADER_BYTES) {
      throw new IllegalStateException(path + ": header of " + padded + " bytes for " + tensors.size()
          + " tensors (expected: at most " + SafetensorsLayout.MAX_HEADER_BYTES + ", the header size limit)");
    }
    ByteBuffer head = ByteBuffer.allocate(SafetensorsLayout.HEADER_OFFSET + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(SafetensorsLayout.HEADER_LENGTH_OFFSET, padded);
    head.position(SafetensorsLayout.HEADER_OFFSET);
    head.put(json);
    while (head.hasRemaining()) {
      head.put((byte) ' ');
    }
    head.flip();

    Path dir = path.toAbsolutePath().getParent();
    Path tmp = dir.resolve("." + path.getFileName() + ".tmp");
    try {
      Files.createDirectories(dir);
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
        writeFully(ch, head);
        for (Pending p : order) {
          writeFully(ch, p.bytes().asByteBuffer());
        }
        ch.force(true);
      }
      Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw new StrataCacheException(path + ": cannot write safetensors file: " + e.getMessage(), e);
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
  }
}
