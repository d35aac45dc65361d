package io.stratacache.params;

import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactNotFoundException;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.CodecException;
import io.stratacache.core.tensor.DType;
import io.stratacache.core.tensor.TensorCodec;
import io.stratacache.engine.StorageEngine;
import io.stratacache.spi.Lease;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Model-parameter chunks on the storage plane: {@code putChunk}, {@code getChunk},
 * {@code hasChunk}. A chunk is an artifact of type {@link ArtifactType#PARAM_CHUNK} whose payload
 * is a {@code stable} tensor ({@link TensorCodec}: raw C-order bytes, with {@value
 * TensorCodec#ATTR_CODEC}, {@value TensorCodec#ATTR_DTYPE} (the safetensors name, e.g. {@code F32})
 * and {@value TensorCodec#ATTR_SHAPE} (the chunk's own shape, e.g. {@code [32,32]}) in its meta),
 * plus the key's parts ({@value #NAME}) and, for a chunk of a tensor split by {@link #putTensor},
 * its byte range ({@value #RANGE}) and the whole tensor's shape ({@value #TENSOR_SHAPE}, same
 * form). So a chunk found in any tier is fully typed, and decodes as any other tensor.
 *
 * <p>Reads check a found chunk's meta and size against the key before handing out its bytes: a
 * chunk of another type or dtype, or whose size disagrees with its shape, is refused with a
 * {@link CodecException}, never returned. Thread-safe; uses only the engine API.
 */
public final class ParamClient {
  /** Attribute of a chunk of a split tensor: the whole tensor's shape, as {@link TensorCodec#formatShape}. */
  public static final String TENSOR_SHAPE = "param_tensor_shape";
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
   * @throws IllegalArgumentException if {@code bytes} is not the size {@code shape} and the key's
   *     dtype give, or the shape has a negative dimension
   */
  public void putChunk(ParamKey key, long[] shape, MemorySegment bytes) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(bytes, "bytes");
    requireSize(key, shape, bytes.byteSize());
    engine.store(key.id(), describe(key, shape).build(), bytes);
  }

  private static void requireSize(ParamKey key, long[] shape, long bytes) {
    long expected = TensorCodec.dataSize(key.elementType(), shape);
    if (bytes != expected) {
      throw new IllegalArgumentException("bytes: " + bytes + " for " + key.id() + " (expected: " + expected + " for "
          + key.elementType() + " " + TensorCodec.formatShape(shape) + ")");
    }
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
   *     {@value #CHUNK_ALIGNMENT}, {@code bytes} is empty, or its size is not the one {@code shape}
   *     and the key's dtype give
   */
  public ParamTensor putTensor(ParamKey first, long[] shape, MemorySegment bytes, long chunkBytes) {
    Objects.requireNonNull(first, "first");
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(bytes, "bytes");
    checkChunkBytes(chunkBytes);
    long total = bytes.byteSize();
    if (total == 0) {
      throw new IllegalArgumentException("bytes: empty tensor " + first.unit() + " (expected: at least one byte)");
    }
    requireSize(first, shape, total);
    String tensorShape = TensorCodec.formatShape(shape);
    int elementBytes = first.elementType().byteSize();
    ParamTensor tensor = ParamTensor.of(first.withChunk(0), total, chunkBytes);
    for (int i = 0; i < tensor.chunks().size(); i++) {
      long off = i * chunkBytes;
      long len = Math.min(chunkBytes, total - off);
      ParamKey key = tensor.chunks().get(i);
      ArtifactMeta meta = describe(key, len / elementBytes)
          .attribute(RANGE, off + ":" + total)
          .attribute(TENSOR_SHAPE, tensorShape)
          .build();
      engine.store(key.id(), meta, bytes.asSlice(off, len));
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

  /** The meta of a chunk of {@code key} whose own shape is {@code shape}, without the tensor's range. */
  private static ArtifactMeta.Builder describe(ParamKey key, long... shape) {
    return TensorCodec.RAW.describe(ArtifactMeta.builder(ArtifactType.PARAM_CHUNK), key.elementType(), shape)
        .attribute(NAME, key.model() + "/" + key.revision() + "/" + key.layer() + "/" + key.unit());
  }

  private static void check(ParamKey key, Lease lease) {
    ArtifactMeta m = lease.meta();
    if (m.type() != ArtifactType.PARAM_CHUNK) {
      throw new CodecException(key.id() + ": type " + m.type() + " in tier " + lease.tier() + " (expected: " + ArtifactType.PARAM_CHUNK + ")");
    }
    TensorCodec.Tensor tensor;
    try {
      tensor = TensorCodec.decode(m, lease.segment());
    } catch (CodecException e) {
      throw new CodecException(key.id() + " in tier " + lease.tier() + ": " + e.getMessage(), e);
    }
    DType want = key.elementType();
    if (tensor.dtype() != want) {
      throw new CodecException(key.id() + ": " + TensorCodec.ATTR_DTYPE + " " + tensor.dtype() + " in tier " + lease.tier()
          + " (expected: " + want + ")");
    }
  }
}
