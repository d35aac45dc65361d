package io.stratacache.backend.redis;

import io.lettuce.core.codec.ToByteBufEncoder;
import io.netty.buffer.ByteBuf;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * The binary codec between the layer and Lettuce: keys are {@code byte[]}, values are {@link
 * Value}s. A value being written is encoded straight from the caller's memory segment into
 * Netty's outbound buffer (one copy, no {@code byte[]} in between); large values being read never
 * pass through this codec but land in native memory through a {@link Landing}.
 */
final class RedisCodec implements io.lettuce.core.codec.RedisCodec<byte[], RedisCodec.Value>, ToByteBufEncoder<byte[], RedisCodec.Value> {
  static final RedisCodec INSTANCE = new RedisCodec();

  private RedisCodec() {}

  /** A Redis string value. */
  sealed interface Value permits Bytes, Piece {
    /** Length in bytes. */
    long size();

    /** Writes the bytes into {@code target}. */
    void writeTo(ByteBuf target);
  }

  /** A small value held on the heap (a head probe, a script argument). */
  record Bytes(byte[] bytes) implements Value {
    Bytes {
      Objects.requireNonNull(bytes, "bytes");
    }

    @Override
    public long size() {
      return bytes.length;
    }

    @Override
    public void writeTo(ByteBuf target) {
      target.writeBytes(bytes);
    }
  }

  /**
   * Bytes {@code [from, to)} of the record {@code prefix ++ payload}, preceded by {@code lead}
   * (a multi-part head's envelope, or nothing).
   */
  record Piece(byte[] lead, byte[] prefix, MemorySegment payload, long from, long to) implements Value {
    @Override
    public long size() {
      return lead.length + (to - from);
    }

    @Override
    public void writeTo(ByteBuf target) {
      target.writeBytes(lead);
      long pos = from;
      if (pos < prefix.length) {
        int n = (int) (Math.min(to, prefix.length) - pos);
        target.writeBytes(prefix, (int) pos, n);
        pos += n;
      }
      if (pos < to) {
        target.writeBytes(payload.asSlice(pos - prefix.length, to - pos).asByteBuffer());
      }
    }
  }

  @Override
  public byte[] decodeKey(ByteBuffer bytes) {
    byte[] out = new byte[bytes.remaining()];
    bytes.get(out);
    return out;
  }

  /** Small values only (the layer reads large ones through a {@link Landing}). */
  @Override
  public Value decodeValue(ByteBuffer bytes) {
    return new Bytes(decodeKey(bytes));
  }

  @Override
  public ByteBuffer encodeKey(byte[] key) {
    return ByteBuffer.wrap(key);
  }

  @Override
  public ByteBuffer encodeValue(Value value) {
    ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(value.size()));
    if (value instanceof Bytes b) {
      out.put(b.bytes());
    } else {
      io.netty.buffer.ByteBuf buf = io.netty.buffer.Unpooled.wrappedBuffer(out);
      buf.writerIndex(0);
      value.writeTo(buf);
    }
    return out.clear();
  }

  @Override
  public void encodeKey(byte[] key, ByteBuf target) {
    target.writeBytes(key);
  }

  @Override
  public void encodeValue(Value value, ByteBuf target) {
    value.writeTo(target);
  }

  @Override
  public int estimateSize(Object keyOrValue) {
    if (keyOrValue instanceof byte[] b) {
      return b.length;
    }
    if (keyOrValue instanceof Value v) {
      return Math.toIntExact(v.size());
    }
    return 0;
  }

  @Override
  public boolean isEstimateExact() {
    return true;
  }
}
