package io.stratacache.backend.redis;

import io.lettuce.core.output.CommandOutput;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * Native memory that Redis replies are copied into, straight from Netty's buffer: one copy per
 * byte, no {@code byte[]}. A landing has one owner at a time: the layer while replies arrive, then
 * either a lease (which frees it on close) or nobody ({@link #abandon()} frees it at once). A
 * reply that arrives after the layer gave up on it (a time-out) is dropped, never written into
 * freed memory.
 */
final class Landing {
  private final Arena arena = Arena.ofShared();
  private MemorySegment segment;
  private boolean abandoned;

  private Landing() {}

  /** A landing of {@code size} bytes, allocated now. */
  static Landing ofSize(long size) {
    Landing l = new Landing();
    l.segment = l.arena.allocate(Math.max(size, 1), 64).asSlice(0, size);
    return l;
  }

  /** A landing whose size is set by the reply that fills it. */
  static Landing deferred() {
    return new Landing();
  }

  /** The memory; {@code null} for a deferred landing nothing has arrived in (or a nil reply). */
  synchronized MemorySegment segment() {
    return segment;
  }

  /** Frees the memory (now, or when a late reply would have allocated it). Idempotent. */
  synchronized void abandon() {
    if (!abandoned) {
      abandoned = true;
      arena.close();
    }
  }

  /** Frees the memory on behalf of the lease it was handed to. */
  void free() {
    abandon();
  }

  private synchronized boolean fill(ByteBuffer bytes) {
    if (abandoned) {
      return false;
    }
    segment = arena.allocate(Math.max(bytes.remaining(), 1), 64).asSlice(0, bytes.remaining());
    segment.copyFrom(MemorySegment.ofBuffer(bytes));
    return true;
  }

  private synchronized boolean copyIn(ByteBuffer bytes, long offset) {
    if (abandoned) {
      return false;
    }
    MemorySegment.copy(MemorySegment.ofBuffer(bytes), 0, segment, offset, bytes.remaining());
    return true;
  }

  /** What a reply into a landing turned out to be. */
  enum Reply {
    /** Not arrived (yet). */
    NONE,
    /** A nil reply: the key does not exist. */
    NIL,
    /** The bytes landed. */
    LANDED,
    /** A value of another length than expected; nothing was written. */
    WRONG_LENGTH
  }

  /** Output of a GET whose value allocates and fills a {@link #deferred()} landing. */
  static final class Whole extends CommandOutput<byte[], RedisCodec.Value, Reply> {
    private final Landing landing;

    Whole(Landing landing) {
      super(RedisCodec.INSTANCE, Reply.NONE);
      this.landing = landing;
    }

    @Override
    public void set(ByteBuffer bytes) {
      if (bytes == null) {
        output = Reply.NIL;
      } else if (landing.fill(bytes)) {
        output = Reply.LANDED;
      }
    }
  }

  /** Output of a GET whose value is copied into a landing at an offset, if its length is as expected. */
  static final class At extends CommandOutput<byte[], RedisCodec.Value, Reply> {
    private final Landing landing;
    private final long offset;
    private final long length;

    At(Landing landing, long offset, long length) {
      super(RedisCodec.INSTANCE, Reply.NONE);
      this.landing = landing;
      this.offset = offset;
      this.length = length;
    }

    @Override
    public void set(ByteBuffer bytes) {
      if (bytes == null) {
        output = Reply.NIL;
      } else if (bytes.remaining() != length) {
        output = Reply.WRONG_LENGTH;
      } else if (landing.copyIn(bytes, offset)) {
        output = Reply.LANDED;
      }
    }
  }
}
