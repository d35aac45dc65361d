package io.stratacache.backend.ssd;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.codec.Crc32c;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.zip.CRC32C;

/**
 * The SSD tier's persisted index: an append-only journal of the records as they come and go,
 * replayed at open instead of reading every record's header, and rewritten as a snapshot of the
 * live index (compacted) when it has grown to about twice that.
 *
 * <pre>
 *  0        4        8        12       16                                    52       64
 *  +--------+--------+--------+--------+-------------------------------------+--------+
 *  | "SIX1" | version| clean  | unused | boot id of the machine that wrote   | unused |
 *  +--------+--------+--------+--------+-------------------------------------+--------+
 *  then records, each:
 *  +----------+----------+------+----------------------------------------------------+
 *  | bodyLen  | crc32c   | type | body (little-endian)                               |
 *  | u32      | of body  | u8   |                                                    |
 *  +----------+----------+------+----------------------------------------------------+
 *   PUT     (1): nameKey i64 @1 | recordSize i64 @9 | payloadOffset i32 @17 | payloadCrc i32 @21 |
 *                unused i32 @25 | lastAccessMillis i64 @29 | idLen u16 @37 | id (UTF-8) @39
 *   REMOVE  (2): idLen u16 | id
 *   INTENT  (3): idLen u16 | id     (a store is about to rename its record into place)
 * </pre>
 *
 * <p><b>Order.</b> A store appends INTENT before it renames its record into place and PUT after;
 * a removal appends REMOVE after it unlinks the file. All three are appended under the id's stripe
 * lock, so the journal orders each id's changes as the directory saw them. A process killed at
 * any point therefore leaves a journal that is right about every id except those with an INTENT
 * and no PUT after it, whose record the opener reads from its header; files with no entry and
 * entries with no file are found by listing the directory at open (see {@link SsdRecovery}).
 *
 * <p><b>When it is trusted.</b> The {@code clean} flag is cleared when a layer opens the journal
 * and set when it closes it (after forcing it). A journal that was not closed cleanly is trusted
 * only if the boot id it carries is this boot's ({@code /proc/sys/kernel/random/boot_id}): a
 * process crash leaves the page cache, and so every appended record, intact; a machine crash may
 * not, so the opener then scans every header. So does it when the journal is missing, of another
 * version, or damaged anywhere but in a torn last record (which a kill mid-append can leave, and
 * which the INTENT rule makes harmless).
 *
 * <p>Appends are positional writes of whole records without forcing; thread-safe (one monitor).
 */
final class SsdIndexJournal implements AutoCloseable {
  static final String FILE = "index.journal";
  static final int MAGIC = 'S' | 'I' << 8 | 'X' << 16 | '1' << 24;
  static final int VERSION = 1;
  static final int HEADER_BYTES = 64;
  static final int VERSION_OFFSET = 4;
  static final int CLEAN_OFFSET = 8;
  static final int BOOT_ID_OFFSET = 16;
  static final int BOOT_ID_BYTES = 36;
  static final int RECORD_PREFIX = 8;
  static final byte PUT = 1;
  static final byte REMOVE = 2;
  static final byte INTENT = 3;
  /** Records appended beyond the live index before a compaction is due (besides doubling). */
  static final long COMPACT_SLACK = 4096;

  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  /** What a replay hands over, record by record, in journal order. */
  interface Sink {
    void put(ArtifactId id, long nameKey, long recordSize, int payloadOffset, int payloadCrc, long lastAccessMillis);

    void remove(ArtifactId id);

    void intent(ArtifactId id);
  }

  /** Why a journal cannot be trusted; the opener then scans every header. */
  static final class Untrusted extends Exception {
    private static final long serialVersionUID = 1L;

    Untrusted(String reason) {
      super(reason, null, false, false);
    }
  }

  /** One live entry as a snapshot writes it. */
  record Live(ArtifactId id, long nameKey, long recordSize, int payloadOffset, int payloadCrc, long lastAccessMillis) {}

  private final Path file;
  private final boolean force;
  private FileChannel channel;
  private long end;
  private long appended;
  private long snapshotRecords;
  private final Set<ArtifactId> pending = new HashSet<>();

  private SsdIndexJournal(Path file, boolean force, FileChannel channel, long end, long snapshotRecords) {
    this.file = file;
    this.force = force;
    this.channel = channel;
    this.end = end;
    this.snapshotRecords = snapshotRecords;
  }

  /**
   * Replays {@code file} into {@code sink}.
   *
   * @return the number of records replayed
   * @throws Untrusted if the journal is missing, damaged, of another version, or was not closed
   *     cleanly before a restart of the machine
   */
  static long replay(Path file, Sink sink) throws Untrusted, IOException {
    try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < HEADER_BYTES) {
        throw new Untrusted("index " + file + " has " + size + " bytes (expected: at least a " + HEADER_BYTES + "-byte header)");
      }
      MemorySegment s = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
      if (s.get(INT, 0) != MAGIC) {
        throw new Untrusted("index " + file + " has no SIX1 magic");
      }
      int version = s.get(INT, VERSION_OFFSET);
      if (version != VERSION) {
        throw new Untrusted("index " + file + " is version " + version + " (expected: " + VERSION + ")");
      }
      if (s.get(INT, CLEAN_OFFSET) != 1) {
        String written = new String(s.asSlice(BOOT_ID_OFFSET, BOOT_ID_BYTES).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII);
        String now = bootId();
        if (now.isEmpty() || !now.equals(written)) {
          throw new Untrusted("index " + file + " was not closed cleanly and the machine has restarted since");
        }
      }
      long pos = HEADER_BYTES;
      long records = 0;
      CRC32C crc = new CRC32C();
      while (pos + RECORD_PREFIX <= size) {
        int len = s.get(INT, pos);
        int stored = s.get(INT, pos + 4);
        if (len <= 0 || pos + RECORD_PREFIX + len > size) {
          if (len > 0 && pos + RECORD_PREFIX + len > size) {
            break; // a torn last record
          }
          throw new Untrusted("index " + file + " is damaged at offset " + pos + " (record length " + len + ")");
        }
        MemorySegment body = s.asSlice(pos + RECORD_PREFIX, len);
        crc.reset();
        Crc32c.update(crc, body);
        if ((int) crc.getValue() != stored) {
          if (pos + RECORD_PREFIX + len == size) {
            break; // a torn last record
          }
          throw new Untrusted("index " + file + " is damaged at offset " + pos + " (checksum)");
        }
        try {
          apply(body, sink);
        } catch (RuntimeException e) {
          throw new Untrusted("index " + file + " is damaged at offset " + pos + " (" + e.getMessage() + ")");
        }
        records++;
        pos += RECORD_PREFIX + len;
      }
      return records;
    } catch (NoSuchFileException e) {
      throw new Untrusted("index " + file + " is missing");
    }
  }

  private static void apply(MemorySegment b, Sink sink) {
    byte type = b.get(ValueLayout.JAVA_BYTE, 0);
    switch (type) {
      case PUT -> {
        int idLen = Short.toUnsignedInt(b.get(SHORT, 37));
        ArtifactId id = ArtifactId.fromUtf8(b.asSlice(39, idLen).toArray(ValueLayout.JAVA_BYTE));
        sink.put(id, b.get(LONG, 1), b.get(LONG, 9), b.get(INT, 17), b.get(INT, 21), b.get(LONG, 25 + 4));
      }
      case REMOVE, INTENT -> {
        int idLen = Short.toUnsignedInt(b.get(SHORT, 1));
        ArtifactId id = ArtifactId.fromUtf8(b.asSlice(3, idLen).toArray(ValueLayout.JAVA_BYTE));
        if (type == REMOVE) {
          sink.remove(id);
        } else {
          sink.intent(id);
        }
      }
      default -> throw new IllegalArgumentException("record type " + type + " (expected: 1, 2 or 3)");
    }
  }

  /**
   * Writes a fresh journal holding {@code live} (in eviction order) and opens it for appends, not
   * clean until {@link #close()}.
   *
   * @param force whether to force the journal when it is rewritten and closed
   */
  static SsdIndexJournal create(Path file, List<Live> live, boolean force) throws IOException {
    FileChannel ch = writeSnapshot(file, live, Set.of(), force);
    return new SsdIndexJournal(file, force, ch, ch.size(), live.size());
  }

  private static FileChannel writeSnapshot(Path file, Iterable<Live> live, Set<ArtifactId> intents, boolean force)
      throws IOException {
    Path tmp = file.resolveSibling(FILE + ".tmp");
    try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
      buf.put(header(false));
      for (Live e : live) {
        byte[] id = e.id().toUtf8();
        if (buf.remaining() < RECORD_PREFIX + 39 + id.length) {
          drain(out, buf);
        }
        putRecord(buf, e, id);
      }
      for (ArtifactId id : intents) {
        byte[] utf8 = id.toUtf8();
        if (buf.remaining() < RECORD_PREFIX + 3 + utf8.length) {
          drain(out, buf);
        }
        idRecord(buf, INTENT, utf8);
      }
      drain(out, buf);
      if (force) {
        out.force(false);
      }
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    if (force) {
      SsdRecordFiles.forceDirectory(file.getParent());
    }
    return FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
  }

  private static void drain(FileChannel out, ByteBuffer buf) throws IOException {
    buf.flip();
    while (buf.hasRemaining()) {
      out.write(buf);
    }
    buf.clear();
  }

  private static byte[] header(boolean clean) {
    ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    h.putInt(0, MAGIC).putInt(VERSION_OFFSET, VERSION).putInt(CLEAN_OFFSET, clean ? 1 : 0);
    byte[] boot = bootId().getBytes(StandardCharsets.US_ASCII);
    h.put(BOOT_ID_OFFSET, boot, 0, Math.min(boot.length, BOOT_ID_BYTES));
    return h.array();
  }

  private static void putRecord(ByteBuffer buf, Live e, byte[] id) {
    int len = 39 + id.length;
    int start = buf.position();
    buf.putInt(len).putInt(0).put(PUT).putLong(e.nameKey()).putLong(e.recordSize()).putInt(e.payloadOffset())
        .putInt(e.payloadCrc()).putInt(0).putLong(e.lastAccessMillis()).putShort((short) id.length).put(id);
    sealRecord(buf, start, len);
  }

  private static void idRecord(ByteBuffer buf, byte type, byte[] id) {
    int len = 3 + id.length;
    int start = buf.position();
    buf.putInt(len).putInt(0).put(type).putShort((short) id.length).put(id);
    sealRecord(buf, start, len);
  }

  private static void sealRecord(ByteBuffer buf, int start, int len) {
    CRC32C crc = new CRC32C();
    crc.update(buf.array(), buf.arrayOffset() + start + RECORD_PREFIX, len);
    buf.putInt(start + 4, (int) crc.getValue());
  }

  // ---------------------------------------------------------------------------------------------
  // appends

  /** Logs that a store of {@code id} is about to rename its record into place. */
  synchronized void intent(ArtifactId id) throws IOException {
    pending.add(id);
    byte[] utf8 = id.toUtf8();
    ByteBuffer b = ByteBuffer.allocate(RECORD_PREFIX + 3 + utf8.length).order(ByteOrder.LITTLE_ENDIAN);
    idRecord(b, INTENT, utf8);
    append(b);
  }

  /** A store of {@code id} that logged an intent failed before its rename. */
  synchronized void abandon(ArtifactId id) {
    pending.remove(id);
  }

  /** Logs a record now in place; returns whether a compaction is due. */
  synchronized boolean put(Live e) throws IOException {
    pending.remove(e.id());
    byte[] id = e.id().toUtf8();
    ByteBuffer b = ByteBuffer.allocate(RECORD_PREFIX + 39 + id.length).order(ByteOrder.LITTLE_ENDIAN);
    putRecord(b, e, id);
    append(b);
    return compactionDue();
  }

  /** Logs that {@code id}'s record is gone; returns whether a compaction is due. */
  synchronized boolean remove(ArtifactId id) throws IOException {
    byte[] utf8 = id.toUtf8();
    ByteBuffer b = ByteBuffer.allocate(RECORD_PREFIX + 3 + utf8.length).order(ByteOrder.LITTLE_ENDIAN);
    idRecord(b, REMOVE, utf8);
    append(b);
    return compactionDue();
  }

  private void append(ByteBuffer b) throws IOException {
    b.flip();
    long pos = end;
    while (b.hasRemaining()) {
      pos += channel.write(b, pos);
    }
    end = pos;
    appended++;
  }

  /**
   * Whether more records were appended since the journal was last written whole than that
   * snapshot held, plus {@value #COMPACT_SLACK}: the journal is then about twice the live index.
   */
  private boolean compactionDue() {
    return appended > snapshotRecords + COMPACT_SLACK;
  }

  /**
   * Rewrites the journal as a snapshot if {@linkplain #compactionDue() due}; intents still pending
   * are carried over.
   *
   * @param snapshot the live entries in eviction order, taken while this journal's monitor is held
   *     (so that no append falls between the snapshot and the rewrite)
   */
  synchronized void compactIfDue(Supplier<List<Live>> snapshot) throws IOException {
    if (compactionDue()) {
      compact(snapshot.get());
    }
  }

  /** Rewrites the journal as {@code live} now. */
  synchronized void compact(List<Live> live) throws IOException {
    FileChannel fresh = writeSnapshot(file, live, Set.copyOf(pending), force);
    SsdRecordFiles.closeQuietly(channel);
    channel = fresh;
    end = fresh.size();
    appended = 0;
    snapshotRecords = live.size();
  }

  /** Forces the journal and marks it clean (unless a store is still between its intent and its rename). */
  @Override
  public synchronized void close() throws IOException {
    try {
      channel.force(false);
      if (pending.isEmpty()) {
        ByteBuffer clean = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 1);
        channel.write(clean, CLEAN_OFFSET);
        channel.force(false);
      }
    } finally {
      channel.close();
    }
  }

  /** This boot's id, or empty where the platform has none. */
  static String bootId() {
    return BootId.VALUE;
  }

  private static final class BootId {
    static final String VALUE = read();

    private static String read() {
      try {
        String s = Files.readString(Path.of("/proc/sys/kernel/random/boot_id"), StandardCharsets.US_ASCII).trim();
        return s.length() == BOOT_ID_BYTES ? s : "";
      } catch (IOException | RuntimeException e) {
        return "";
      }
    }
  }
}
