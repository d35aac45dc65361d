package io.stratacache.backend.ssd;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.io.PrivateFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 *   DIRS    (4): 256 x i64          modification times of the leaf directories at a clean close;
 *                                   void unless it is the last record
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
 * <p><b>Unchanged directories.</b> A clean close ends the journal with the modification times of
 * the 256 leaf directories. The opener lists only the leaf directories whose time differs: one
 * whose time is the same has had no file created, renamed or removed since, so it holds exactly
 * the names the journal has. Appends after a reopen overwrite that record.
 *
 * <p>Appends are positional writes of whole records without forcing; thread-safe (one monitor).
 */
final class SsdIndexJournal {
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
  static final byte DIRS = 4;
  /** Records appended beyond the live index before a compaction is due (besides doubling). */
  static final long COMPACT_SLACK = 4096;

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
  private final PrivateFiles access;
  private FileChannel channel;
  private long end;
  private long appended;
  private long snapshotRecords;
  private final Set<ArtifactId> pending = new HashSet<>();
  private final CRC32C crc = new CRC32C();

  private SsdIndexJournal(
      Path file, boolean force, PrivateFiles access, FileChannel channel, long end, long snapshotRecords) {
    this.file = file;
    this.force = force;
    this.access = access;
    this.channel = channel;
    this.end = end;
    this.snapshotRecords = snapshotRecords;
  }

  /** Largest record body: a PUT with the longest id, or a DIRS record. */
  static final int MAX_BODY = Math.max(39 + ArtifactId.MAX_UTF8_BYTES, 1 + 256 * 8);
  private static final int CHUNK = 1 << 20;

  /**
   * What a replay found.
   *
   * @param records records replayed
   * @param end where appends go: after the last whole record (a torn last record starts there),
   *     or at the closing {@code DIRS} record
   * @param dirMtimes the leaf directories' times at a clean close, or null
   */
  record Replayed(long records, long end, long[] dirMtimes) {}

  /**
   * Replays {@code file} into {@code sink}, reading it in chunks of {@value #CHUNK} bytes (no
   * allocation per record besides the id).
   *
   * @throws Untrusted if the journal is missing, damaged, of another version, or was not closed
   *     cleanly before a restart of the machine
   */
  static Replayed replay(Path file, Sink sink) throws Untrusted, IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      long size = ch.size();
      if (size < HEADER_BYTES) {
        throw new Untrusted("index " + file + " has " + size + " bytes (expected: at least a " + HEADER_BYTES + "-byte header)");
      }
      byte[] buf = new byte[(int) Math.min(CHUNK, size)];
      ByteBuffer bb = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
      SsdRecovery.readFully(ch, bb.limit(HEADER_BYTES), 0);
      if (bb.getInt(0) != MAGIC) {
        throw new Untrusted("index " + file + " has no SIX1 magic");
      }
      int version = bb.getInt(VERSION_OFFSET);
      if (version != VERSION) {
        throw new Untrusted("index " + file + " is version " + version + " (expected: " + VERSION + ")");
      }
      if (bb.getInt(CLEAN_OFFSET) != 1) {
        String written = new String(buf, BOOT_ID_OFFSET, BOOT_ID_BYTES, StandardCharsets.US_ASCII);
        String now = bootId();
        if (now.isEmpty() || !now.equals(written)) {
          throw new Untrusted("index " + file + " was not closed cleanly and the machine has restarted since");
        }
      }
      bb.clear();
      long base = HEADER_BYTES; // file offset of buf[0]
      int have = 0;
      int at = 0;
      long records = 0;
      long[] dirs = null;
      long dirsAt = -1;
      CRC32C crc = new CRC32C();
      while (true) {
        if (have - at < RECORD_PREFIX + MAX_BODY && base + have < size) {
          System.arraycopy(buf, at, buf, 0, have - at);
          base += at;
          have -= at;
          at = 0;
          int n = ch.read(ByteBuffer.wrap(buf, have, buf.length - have), base + have);
          if (n > 0) {
            have += n;
          }
        }
        if (have - at < RECORD_PREFIX) {
          break; // the end, or a torn last record
        }
        int len = bb.getInt(at);
        int stored = bb.getInt(at + 4);
        boolean last = base + at + RECORD_PREFIX + Math.max(0, len) >= size;
        if (len <= 0 || len > MAX_BODY) {
          if (last) {
            break;
          }
          throw new Untrusted("index " + file + " is damaged at offset " + (base + at) + " (record length " + len + ")");
        }
        if (have - at < RECORD_PREFIX + len) {
          break; // a torn last record
        }
        crc.reset();
        crc.update(buf, at + RECORD_PREFIX, len);
        if ((int) crc.getValue() != stored) {
          if (last) {
            break;
          }
          throw new Untrusted("index " + file + " is damaged at offset " + (base + at) + " (checksum)");
        }
        try {
          if (buf[at + RECORD_PREFIX] == DIRS) {
            checkLength(1 + 256 * 8, len);
            dirs = new long[256];
            for (int i = 0; i < 256; i++) {
              dirs[i] = bb.getLong(at + RECORD_PREFIX + 1 + 8 * i);
            }
            dirsAt = base + at;
          } else {
            dirs = null;
            apply(bb, at + RECORD_PREFIX, len, sink);
          }
        } catch (RuntimeException e) {
          throw new Untrusted("index " + file + " is damaged at offset " + (base + at) + " (" + e.getMessage() + ")");
        }
        records++;
        at += RECORD_PREFIX + len;
      }
      if (dirs != null) {
        return new Replayed(records, dirsAt, dirs);
      }
      return new Replayed(records, base + at, null);
    } catch (NoSuchFileException e) {
      throw new Untrusted("index " + file + " is missing");
    }
  }

  /**
   * The entries {@code file} holds when replayed (intents ignored), in journal order.
   *
   * @throws Untrusted as {@link #replay}
   */
  static Map<ArtifactId, Live> liveEntries(Path file) throws Untrusted, IOException {
    Map<ArtifactId, Live> out = new LinkedHashMap<>();
    replay(file, new Sink() {
      @Override
      public void put(ArtifactId id, long nameKey, long size, int payloadOffset, int payloadCrc, long millis) {
        out.put(id, new Live(id, nameKey, size, payloadOffset, payloadCrc, millis));
      }

      @Override
      public void remove(ArtifactId id) {
        out.remove(id);
      }

      @Override
      public void intent(ArtifactId id) {}
    });
    return out;
  }

  private static void apply(ByteBuffer b, int off, int len, Sink sink) {
    byte type = b.get(off);
    switch (type) {
      case PUT -> {
        int idLen = Short.toUnsignedInt(b.getShort(off + 37));
        checkLength(39 + idLen, len);
        ArtifactId id = ArtifactId.of(new String(b.array(), off + 39, idLen, StandardCharsets.UTF_8));
        sink.put(id, b.getLong(off + 1), b.getLong(off + 9), b.getInt(off + 17), b.getInt(off + 21), b.getLong(off + 29));
      }
      case REMOVE, INTENT -> {
        int idLen = Short.toUnsignedInt(b.getShort(off + 1));
        checkLength(3 + idLen, len);
        ArtifactId id = ArtifactId.of(new String(b.array(), off + 3, idLen, StandardCharsets.UTF_8));
        if (type == REMOVE) {
          sink.remove(id);
        } else {
          sink.intent(id);
        }
      }
      default -> throw new IllegalArgumentException("record type " + type + " (expected: 1, 2 or 3)");
    }
  }

  private static void checkLength(int expected, int len) {
    if (expected != len) {
      throw new IllegalArgumentException("record of " + len + " bytes (expected: " + expected + ")");
    }
  }

  /**
   * Opens a journal that {@link #replay} read whole up to {@code end} for appends: cuts a torn last
   * record off and marks it not clean, with this boot's id, until {@link #close(long[])}.
   *
   * @param live the entries the replay left in the index
   * @param records the records the replay read
   */
  static SsdIndexJournal reopen(Path file, long end, long live, long records, boolean force, PrivateFiles access)
      throws IOException {
    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    boolean success = false;
    try {
      ch.truncate(end);
      ByteBuffer h = ByteBuffer.wrap(header(false));
      while (h.hasRemaining()) {
        ch.write(h, h.position());
      }
      SsdIndexJournal j = new SsdIndexJournal(file, force, access, ch, end, live);
      j.appended = Math.max(0, records - live);
      success = true;
      return j;
    } finally {
      if (!success) {
        ch.close();
      }
    }
  }

  /** Whether a journal of {@code records} records holding {@code live} entries should be rewritten. */
  static boolean worthCompacting(long records, long live) {
    return records > 2 * live + COMPACT_SLACK;
  }

  /**
   * Writes a fresh journal holding {@code live} (in eviction order) and opens it for appends, not
   * clean until {@link #close(long[])}.
   *
   * @param force whether to force the journal when it is rewritten and closed
   */
  static SsdIndexJournal create(Path file, List<Live> live, boolean force, PrivateFiles access) throws IOException {
    FileChannel ch = writeSnapshot(file, live, Set.of(), force, access);
    return new SsdIndexJournal(file, force, access, ch, ch.size(), live.size());
  }

  private static FileChannel writeSnapshot(
      Path file, Iterable<Live> live, Set<ArtifactId> intents, boolean force, PrivateFiles access) throws IOException {
    Path tmp = file.resolveSibling(FILE + ".tmp");
    Files.deleteIfExists(tmp); // left by a crash mid-rewrite
    try (FileChannel out = access.createFile(tmp)) {
      ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
      CRC32C crc = new CRC32C();
      buf.put(header(false));
      for (Live e : live) {
        byte[] id = e.id().toUtf8();
        if (buf.remaining() < RECORD_PREFIX + 39 + id.length) {
          drain(out, buf);
        }
        putRecord(buf, e, id, crc);
      }
      for (ArtifactId id : intents) {
        byte[] utf8 = id.toUtf8();
        if (buf.remaining() < RECORD_PREFIX + 3 + utf8.length) {
          drain(out, buf);
        }
        idRecord(buf, INTENT, utf8, crc);
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
    return FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
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

  private static void putRecord(ByteBuffer buf, Live e, byte[] id, CRC32C crc) {
    int len = 39 + id.length;
    int start = buf.position();
    buf.putInt(len).putInt(0).put(PUT).putLong(e.nameKey()).putLong(e.recordSize()).putInt(e.payloadOffset())
        .putInt(e.payloadCrc()).putInt(0).putLong(e.lastAccessMillis()).putShort((short) id.length).put(id);
    sealRecord(buf, start, len, crc);
  }

  private static void idRecord(ByteBuffer buf, byte type, byte[] id, CRC32C crc) {
    int len = 3 + id.length;
    int start = buf.position();
    buf.putInt(len).putInt(0).put(type).putShort((short) id.length).put(id);
    sealRecord(buf, start, len, crc);
  }

  private static void sealRecord(ByteBuffer buf, int start, int len, CRC32C crc) {
    crc.reset();
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
    idRecord(b, INTENT, utf8, crc);
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
    putRecord(b, e, id, crc);
    append(b);
    return compactionDue();
  }

  /** Logs that {@code id}'s record is gone; returns whether a compaction is due. */
  synchronized boolean remove(ArtifactId id) throws IOException {
    byte[] utf8 = id.toUtf8();
    ByteBuffer b = ByteBuffer.allocate(RECORD_PREFIX + 3 + utf8.length).order(ByteOrder.LITTLE_ENDIAN);
    idRecord(b, REMOVE, utf8, crc);
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
    FileChannel fresh = writeSnapshot(file, live, Set.copyOf(pending), force, access);
    SsdRecordFiles.closeQuietly(channel);
    channel = fresh;
    end = fresh.size();
    appended = 0;
    snapshotRecords = live.size();
  }

  /**
   * Ends the journal with the leaf directories' times, forces it and marks it clean (unless a store
   * is still between its intent and its rename).
   */
  synchronized void close(long[] leafMtimes) throws IOException {
    try {
      if (pending.isEmpty()) {
        ByteBuffer b = ByteBuffer.allocate(RECORD_PREFIX + 1 + 256 * 8).order(ByteOrder.LITTLE_ENDIAN);
        int start = b.position();
        b.putInt(1 + 256 * 8).putInt(0).put(DIRS);
        for (long m : leafMtimes) {
          b.putLong(m);
        }
        sealRecord(b, start, 1 + 256 * 8, crc);
        append(b);
      }
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

  /** Closes the journal as a killed process leaves it: not clean, nothing forced (tests). */
  synchronized void crash() throws IOException {
    channel.close();
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
