package io.stratacache.core.tensor;

import io.stratacache.core.CodecException;
import io.stratacache.core.StrataCacheException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A safetensors file mapped read-only into memory ({@link SafetensorsLayout}). Tensors are
 * handed out as read-only slices of the mapping: zero copies, valid until {@link #close()}.
 *
 * <p>Opening validates the whole header ({@link SafetensorsHeader}): the length prefix and its
 * limit, the JSON (no key twice), every entry's dtype, shape and offsets (in bounds, matching the
 * shape, not overlapping). A file that fails any check is
 * refused with a {@link CodecException} naming the file and the problem; no tensor of it is
 * readable.
 *
 * <p>Thread-safe: slices may be read from any thread until the file is closed. Reading a slice
 * after {@link #close()} throws {@link IllegalStateException}.
 */
public final class SafetensorsFile implements AutoCloseable {
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
    Objects.requireNonNull(path, "path");
    Arena arena = Arena.ofShared();
    boolean success = false;
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena).asReadOnly();
      SafetensorsHeader header = SafetensorsHeader.read(file, path.toString());
      long headerLength = SafetensorsHeader.headerLength(file, path.toString());
      MemorySegment data = file.asSlice(SafetensorsLayout.dataOffset(headerLength));
      SafetensorsFile f = new SafetensorsFile(path, arena, data, header.entries(), header.metadata());
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
