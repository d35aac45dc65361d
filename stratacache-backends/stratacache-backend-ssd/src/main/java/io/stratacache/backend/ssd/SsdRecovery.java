package io.stratacache.backend.ssd;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.CodecException;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.core.codec.RecordCodec;
import io.stratacache.core.codec.RecordLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.stream.IntStream;

/**
 * Checks the SSD tier's index against its directory at open, reading the headers of the records
 * the index does not know (all of them when there is no trusted index).
 *
 * <p>The leaf directories that exist are listed in parallel. In each: temporary files (stores that
 * a crash interrupted) are deleted; a record file whose name's first 16 hex digits are a key the
 * index holds is marked seen (names only: no open, no stat); any other record file has its prefix
 * and header decoded and checked (magic, header checksum, JSON), its size checked against the
 * header's payload length, and its name checked against the hash of the id inside. A file that
 * fails any check is handed to the quarantine; payload checksums are left to the first load, so
 * recovery reads a few KiB per unknown artifact whatever their size.
 */
final class SsdRecovery {
  /** Bytes read from the start of each record: the prefix and a typical header in one read. */
  private static final int FIRST_READ = 4096;

  /** A record found valid at open. */
  record Found(ArtifactId id, long nameKey, long size, int payloadOffset, int payloadCrc, long mtimeMillis) {}

  /**
   * What a scan found.
   *
   * @param records the valid records the index did not know
   * @param tempFilesRemoved temporary files deleted
   * @param leafDirs which of the 256 leaf directories exist
   */
  record Result(List<Found> records, int tempFilesRemoved, boolean[] leafDirs) {}

  /** No keys known: every record file is read. */
  static final long[] NONE = new long[0];

  private SsdRecovery() {}

  /**
   * Lists {@code paths}, except the leaf directories flagged {@code unchanged}: a record whose name
   * key is in {@code knownKeys} (sorted, distinct) sets its {@code seen} flag; every other record
   * file is read, and those that are not valid records go to {@code quarantine} with a reason.
   *
   * @throws LayerUnavailableException if a directory cannot be listed
   */
  static Result scan(SsdPaths paths, long[] knownKeys, boolean[] seen, boolean[] unchanged, BiConsumer<Path, String> quarantine) {
    List<List<Found>> perDir = new ArrayList<>(256);
    int[] temps = new int[256];
    for (int i = 0; i < 256; i++) {
      perDir.add(new ArrayList<>());
    }
    boolean[] leafDirs;
    try {
      leafDirs = existingLeafDirs(paths);
      IntStream.range(0, 256).parallel().filter(i -> leafDirs[i] && !unchanged[i])
          .forEach(i -> scanDir(paths, i, knownKeys, seen, perDir.get(i), temps, quarantine));
    } catch (IOException e) {
      throw new LayerUnavailableException("ssd directory " + paths.root() + ": cannot scan: " + e, e);
    } catch (UncheckedIOException e) {
      throw new LayerUnavailableException("ssd directory " + paths.root() + ": cannot scan: " + e.getCause(), e.getCause());
    }
    List<Found> all = new ArrayList<>();
    int removed = 0;
    for (int i = 0; i < 256; i++) {
      all.addAll(perDir.get(i));
      removed += temps[i];
    }
    return new Result(all, removed, leafDirs);
  }

  /**
   * The modification time (nanoseconds) of each of the 256 leaf directories, -1 for those missing:
   * a directory whose time has not changed since it was taken has had no file created, renamed or
   * removed in it.
   */
  static long[] leafMtimes(SsdPaths paths) {
    long[] out = new long[256];
    for (int i = 0; i < 256; i++) {
      try {
        out[i] = Files.readAttributes(paths.leafDir(i), BasicFileAttributes.class).lastModifiedTime()
            .to(java.util.concurrent.TimeUnit.NANOSECONDS);
      } catch (IOException e) {
        out[i] = -1;
      }
    }
    return out;
  }

  /** Which leaf directories exist, found by listing the root and the first level only. */
  private static boolean[] existingLeafDirs(SsdPaths paths) throws IOException {
    boolean[] exist = new boolean[256];
    try (DirectoryStream<Path> first = Files.newDirectoryStream(paths.root(), SsdRecovery::isHexDigitDirectory)) {
      for (Path d1 : first) {
        int hi = Character.digit(d1.getFileName().toString().charAt(0), 16);
        try (DirectoryStream<Path> second = Files.newDirectoryStream(d1, SsdRecovery::isHexDigitDirectory)) {
          for (Path d2 : second) {
            exist[hi << 4 | Character.digit(d2.getFileName().toString().charAt(0), 16)] = true;
          }
        }
      }
    }
    return exist;
  }

  private static boolean isHexDigitDirectory(Path p) {
    String n = p.getFileName().toString();
    return n.length() == 1 && "0123456789abcdef".indexOf(n.charAt(0)) >= 0 && Files.isDirectory(p);
  }

  private static void scanDir(
      SsdPaths paths, int index, long[] knownKeys, boolean[] seen, List<Found> out, int[] temps,
      BiConsumer<Path, String> quarantine) {
    Path dir = paths.leafDir(index);
    String[] names = dir.toFile().list();
    if (names == null) {
      throw new UncheckedIOException(new IOException("cannot list " + dir));
    }
    try {
      for (String name : names) {
        if (SsdPaths.isTempName(name)) {
          Files.deleteIfExists(dir.resolve(name));
          temps[index]++;
        } else if (SsdPaths.isRecordName(name)) {
          int known = knownKeys.length == 0 ? -1 : java.util.Arrays.binarySearch(knownKeys, SsdPaths.nameKey(name));
          if (known >= 0) {
            seen[known] = true;
            continue;
          }
          Found f = readRecordHeader(paths, dir.resolve(name), quarantine);
          if (f != null) {
            out.add(f);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Found readRecordHeader(SsdPaths paths, Path file, BiConsumer<Path, String> quarantine) throws IOException {
    BasicFileAttributes attrs;
    RecordCodec.Header h;
    try (FileChannel ch = SsdRecordFiles.openRecord(file)) {
      attrs = Files.readAttributes(file, BasicFileAttributes.class);
      long size = ch.size();
      ByteBuffer first = ByteBuffer.allocate((int) Math.min(size, FIRST_READ));
      readFully(ch, first, 0);
      MemorySegment seg = MemorySegment.ofBuffer(first.flip());
      int hdrLen = RecordCodec.headerLength(seg);
      if (RecordLayout.PREFIX_BYTES + (long) hdrLen > first.limit()) {
        if (RecordLayout.PREFIX_BYTES + (long) hdrLen > size) {
          throw new CodecException("record: " + size + " bytes (expected: at least " + (RecordLayout.PREFIX_BYTES + hdrLen) + " for the header)");
        }
        ByteBuffer whole = ByteBuffer.allocate(RecordLayout.PREFIX_BYTES + hdrLen);
        readFully(ch, whole, 0);
        seg = MemorySegment.ofBuffer(whole.flip());
      }
      h = RecordCodec.readHeader(seg);
      int alignment = alignmentOf(h, size);
      if (alignment < 0) {
        throw new CodecException(
            "record " + h.id() + ": " + size + " bytes (expected: payload offset + payload length " + h.payloadLength()
                + " with the payload aligned to a power of two)");
      }
      if (!SsdPaths.hash(h.id()).equals(file.getFileName().toString().substring(0, SsdPaths.HASH_HEX_DIGITS))
          || !paths.recordFile(h.id()).equals(file)) {
        throw new CodecException("record " + h.id() + " found in " + file + " (expected: in " + paths.recordFile(h.id()) + ")");
      }
      return new Found(h.id(), SsdPaths.nameKey(file.getFileName().toString()), size, (int) (size - h.payloadLength()),
          h.payloadCrc(), attrs.lastModifiedTime().toMillis());
    } catch (NoSuchFileException e) {
      return null;
    } catch (CodecException e) {
      quarantine.accept(file, e.getMessage());
      return null;
    }
  }

  /**
   * The alignment a record of {@code fileSize} bytes was written with, or -1 if no power-of-two
   * alignment up to {@link SsdConfig#MAX_ALIGNMENT} explains its size. Records stay readable when
   * the {@code alignment} setting changes between runs.
   */
  static int alignmentOf(RecordCodec.Header h, long fileSize) {
    long offset = fileSize - h.payloadLength();
    for (int a = 1; a <= SsdConfig.MAX_ALIGNMENT; a <<= 1) {
      if (RecordLayout.payloadOffset(h.headerLength(), a) == offset) {
        return a;
      }
    }
    return -1;
  }

  static void readFully(FileChannel ch, ByteBuffer dst, long position) throws IOException {
    long pos = position;
    while (dst.hasRemaining()) {
      int n = ch.read(dst, pos);
      if (n < 0) {
        throw new CodecException("record: ends after " + pos + " bytes (expected: " + (position + dst.limit()) + ")");
      }
      pos += n;
    }
  }
}
