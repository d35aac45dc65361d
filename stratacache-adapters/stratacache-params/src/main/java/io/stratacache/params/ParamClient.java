package io.stratacache.params;

import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactNotFoundException;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.CodecException;
import io.stratacache.engine.StorageEngine;
import io.stratacache.spi.Lease;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Model-parameter chunks on the storage plane: {@code putChunk}, {@code getChunk},
 * {@code hasChunk}. A chunk is an artifact of type {@link ArtifactType#PARAM_CHUNK} whose payload
 * is raw C-order bytes, with its key and tensor meta as attributes ({@value #CODEC} =
 * {@value #STABLE}, {@value #DTYPE}, {@value #SHAPE}, the chunk's element range, and the key's
 * parts), so a chunk found in any tier is fully typed.
 *
 * <p>Reads check a found chunk's meta against the key before handing out its bytes: a chunk of
 * another type or dtype is refused with a {@link CodecException}, never returned. Thread-safe;
 * uses only the engine API.
 */
public final class ParamClient {
  /** Attribute: how the payload is encoded. */
  public static final String CODEC = "tensor_codec";
  /** Attribute value: raw C-order bytes. */
  public static final String STABLE = "stable";
  /** Attribute: element type label. */
  public static final String DTYPE = "tensor_dtype";
  /** Attribute: the chunk's shape, comma-separated. */
  public static final String SHAPE = "tensor_shape";
  /** Attribute: the chunk's position in its tensor, {@code byteOffset:tensorBytes}. */
  public static final String RANGE = "param_range";
  /** Attribute: the parts of the key, {@code model/revision/layer/unit}. */
  public static final String NAME = "param_name";

  /** Alignment of chunk boundaries within a tensor, so chunks laid end to end keep 64-byte alignment. */
  public static final int CHUNK_ALIGNMENT = 64;

  private final StorageEngine engine;

  /** A client of {@code engine}. */
  public ParamClient(StorageEngine engine) {
    this.engine = Objects.requireNonNull(engine, "engine");
  }

  /** The engine chunks are stored in. */
  public StorageEngine engine() {
    return engine;
  }

  /**
   * Stores one chunk (a copy of {@code bytes}) in the head tier and down the links.
   *
   * @param shape the chunk's shape, recorded in its meta
   */
  public void putChunk(ParamKey key, long[] shape, MemorySegment bytes) {
    engine.store(key.id(), meta(key, shape, 0, bytes.byteSize()), bytes);
  }

  /**
   * Leases chunk {@code key}: a read-only view of the tier's bytes, zero copies; close it when done.
   *
   * @throws ArtifactNotFoundException if no tier holds it
   * @throws CodecException if the artifact found is not a parameter chunk of the key's dtype
   */
  public Lease getChunk(ParamKey key) {
    Lease lease = engine.load(key.id());
    try {
      check(key, lease);
      return lease;
    } catch (RuntimeException e) {
      lease.close();
      throw e;
    }
  }

  /**
   * Copies chunk {@code key} into {@code dst} at offset 0 (one copy) and returns its size.
   *
   * @throws ArtifactNotFoundException if no tier holds it
   * @throws CodecException if the artifact found is not a parameter chunk of the key's dtype
   * @throws IllegalArgumentException if {@code dst} is smaller than the chunk (nothing copied)
   */
  public long getChunkInto(ParamKey key, MemorySegment dst) {
    try (Lease lease = getChunk(key)) {
      long size = lease.size();
      if (dst.byteSize() < size) {
        throw new IllegalArgumentException("dst: " + dst.byteSize() + " bytes for " + key.id() + " (expected: at least " + size + ")");
      }
      MemorySegment.copy(lease.segment(), 0, dst, 0, size);
      return size;
    }
  }

  /** Whether some tier holds chunk {@code key}. */
  public boolean hasChunk(ParamKey key) {
    return engine.contains(key.id());
  }

  /** The first tier holding chunk {@code key}, or {@code null}. */
  public String tierOf(ParamKey key) {
    return engine.admin().tierOf(key.id());
  }

  /** Deletes chunk {@code key} from every tier; whether some tier held it. */
  public boolean deleteChunk(ParamKey key) {
    return engine.delete(key.id());
  }

  /**
   * Stores a whole tensor as chunks of at most {@code chunkBytes} bytes ({@code first} names
   * chunk 0; the others differ only in their index). Each chunk is a 1-D run of the tensor's
   * bytes; its meta records the tensor's shape and the chunk's byte range.
   *
   * @return the tensor's chunk keys, for {@link Prefetcher} plans
   * @throws IllegalArgumentException if {@code chunkBytes} is not a positive multiple of
   *     {@value #CHUNK_ALIGNMENT}, or {@code bytes} is empty
   */
  public ParamTensor putTensor(ParamKey first, long[] shape, MemorySegment bytes, long chunkBytes) {
    checkChunkBytes(chunkBytes);
    long total = bytes.byteSize();
    if (total == 0) {
      throw new IllegalArgumentException("bytes: empty tensor " + first.unit() + " (expected: at least one byte)");
    }
    ParamTensor tensor = ParamTensor.of(first.withChunk(0), total, chunkBytes);
    for (int i = 0; i < tensor.chunks().size(); i++) {
      long off = i * chunkBytes;
      long len = Math.min(chunkBytes, total - off);
      ParamKey key = tensor.chunks().get(i);
      engine.store(key.id(), meta(key, shape, off, total), bytes.asSlice(off, len));
    }
    return tensor;
  }

  /**
   * Copies a whole tensor, chunk after chunk, into {@code dst} at offset 0.
   *
   * @throws ArtifactNotFoundException if a chunk is missing
   * @throws CodecException if a chunk is not what its key says, or the chunks do not add up to
   *     the tensor's size
   */
  public void getTensorInto(ParamTensor tensor, MemorySegment dst) {
    if (dst.byteSize() < tensor.byteSize()) {
      throw new IllegalArgumentException("dst: " + dst.byteSize() + " bytes (expected: at least " + tensor.byteSize() + ")");
    }
    long off = 0;
    for (ParamKey key : tensor.chunks()) {
      if (off >= tensor.byteSize()) {
        throw new CodecException(key.id() + ": chunk beyond the tensor's " + tensor.byteSize() + " bytes");
      }
      off += getChunkInto(key, dst.asSlice(off, tensor.byteSize() - off));
    }
    if (off != tensor.byteSize()) {
      throw new CodecException(tensor.chunks().getFirst().id() + ": chunks hold " + off + " bytes (expected: " + tensor.byteSize() + ")");
    }
  }

  static void checkChunkBytes(long chunkBytes) {
    if (chunkBytes <= 0 || chunkBytes % CHUNK_ALIGNMENT != 0) {
      throw new IllegalArgumentException("chunkBytes: " + chunkBytes + " (expected: a positive multiple of " + CHUNK_ALIGNMENT + ")");
    }
  }

  private static ArtifactMeta meta(ParamKey key, long[] shape, long offset, long tensorBytes) {
    return ArtifactMeta.builder(ArtifactType.PARAM_CHUNK)
        .attribute(CODEC, STABLE)
        .attribute(DTYPE, key.dtype())
        .attribute(SHAPE, Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining(",")))
        .attribute(RANGE, offset + ":" + tensorBytes)
        .attribute(NAME, key.model() + "/" + key.revision() + "/" + key.layer() + "/" + key.unit())
        .build();
  }

  private static void check(ParamKey key, Lease lease) {
    ArtifactMeta m = lease.meta();
    if (m.type() != ArtifactType.PARAM_CHUNK) {
      throw new CodecException(key.id() + ": type " + m.type() + " in tier " + lease.tier() + " (expected: " + ArtifactType.PARAM_CHUNK + ")");
    }
    if (!key.dtype().equals(m.attribute(DTYPE))) {
      throw new CodecException(key.id() + ": " + DTYPE + " " + m.attribute(DTYPE) + " in tier " + lease.tier() + " (expected: " + key.dtype() + ")");
    }
    if (!STABLE.equals(m.attribute(CODEC))) {
      throw new CodecException(key.id() + ": " + CODEC + " " + m.attribute(CODEC) + " (expected: " + STABLE + ")");
    }
  }
}
