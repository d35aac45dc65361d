package io.stratacache.backend.ssd;

import io.stratacache.core.CodecException;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.core.codec.Crc32c;
import io.stratacache.core.codec.RecordCodec;
import io.stratacache.core.io.PrivateFiles;
import io.stratacache.core.io.UnsafePathException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The file-system side of an {@link SsdLayer}: the directory tree, writing a record to a
 * temporary file, forcing what {@link FsyncPolicy#BATCH} has not forced yet, and moving bad records
 * into the quarantine. Knows nothing of the index; thread-safe.
 */
final class SsdRecordFiles {
  /** Largest buffer of a gathering write. */
  static final long WRITE_PIECE = 1L << 30;
  private static final System.Logger LOG = System.getLogger(SsdLayer.class.getName());

  private final SsdPaths paths;
  private final SsdConfig config;
  private final String where;
  private final AtomicLong fileCounter = new AtomicLong();
  private final Set<Path> unsynced = ConcurrentHashMap.newKeySet();
  private final Set<Path> unsyncedDirs = ConcurrentHashMap.newKeySet();
  private final AtomicIntegerArray leafDirs = new AtomicIntegerArray(256);
  private final LongAdder corrupt = new LongAdder();

  /**
   * @param where the layer as error messages name it
   */
  SsdRecordFiles(SsdPaths paths, SsdConfig config, String where) {
    this.paths = paths;
    this.config = config;
    this.where = where;
  }

  private String where() {
    return where;
  }

  /** Notes which leaf directories recovery found, so that stores need not create them. */
  void knownLeafDirs(boolean[] found) {
    for (int i = 0; i < found.length; i++) {
      leafDirs.set(i, found[i] ? 1 : 0);
    }
  }

  /** A fresh temporary file beside {@code file}. */
  Path tempFile(Path file) {
    return SsdPaths.tempFile(file, fileCounter.incrementAndGet());
  }

  /** {@code file} was stored under {@link FsyncPolicy#BATCH}: the next pass forces it. */
  void markUnsynced(Path file) {
    unsynced.add(file);
  }

  /** Stored files that {@link FsyncPolicy#BATCH} has not forced yet. */
  int unsyncedFiles() {
    return unsynced.size();
  }

  /** Records found invalid and moved to the quarantine (or deleted). */
  long corrupt() {
    return corrupt.sum();
  }

  /** Counts a record found invalid that another call already removed. */
  void countCorrupt() {
    corrupt.increment();
  }

  /**
   * Creates the root and quarantine directories if missing, with the tier's mode whatever the
   * umask, and checks them when they exist: one writable by others or owned by another user is
   * refused (see {@link PrivateFiles#checkExisting}).
   */
  void createRoot() {
    PrivateFiles access = config.access();
    try {
      boolean existed = Files.isDirectory(paths.root());
      access.createDirectories(paths.root());
      if (!existed) {
        syncNewDirectory(paths.root());
      }
      try {
        access.createDirectory(paths.quarantineDir());
      } catch (FileAlreadyExistsException e) {
        access.checkExisting(paths.quarantineDir(), false);
      }
    } catch (UnsafePathException e) {
      throw new LayerUnavailableException(where() + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new LayerUnavailableException(where() + ": cannot create directory " + paths.root() + ": " + e, e);
    }
  }

  /** Creates leaf directory {@code index} (and its parent) on first use. */
  void ensureLeafDir(int index) throws IOException {
    if (leafDirs.get(index) != 0) {
      return;
    }
    Path leaf = paths.leafDir(index);
    Path parent = leaf.getParent();
    if (!Files.isDirectory(parent)) {
      createDirectoryIfAbsent(parent);
      syncNewDirectory(parent);
    }
    if (!Files.isDirectory(leaf)) {
      createDirectoryIfAbsent(leaf);
      syncNewDirectory(leaf);
    }
    leafDirs.set(index, 1);
  }

  private void createDirectoryIfAbsent(Path dir) throws IOException {
    try {
      config.access().createDirectory(dir);
    } catch (FileAlreadyExistsException e) {
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        throw e;
      }
    }
  }

  /**
   * Opens a record file for reading, never through a symbolic link.
   *
   * @throws CodecException if {@code file} is a symbolic link: a damaged record, never followed
   */
  static FileChannel openRecord(Path file) throws IOException {
    try {
      return FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      if (e instanceof NoSuchFileException || !Files.isSymbolicLink(file)) {
        throw e;
      }
      throw new CodecException("record file " + file + " is a symbolic link (never followed; expected: a regular file)");
    }
  }

  /** Makes the entry of a directory just created durable, as the fsync policy asks. */
  private void syncNewDirectory(Path dir) throws IOException {
    Path parent = dir.getParent();
    if (parent == null) {
      return;
    }
    if (config.fsync() == FsyncPolicy.ALWAYS) {
      forceDirectory(parent);
    } else if (config.fsync() == FsyncPolicy.BATCH) {
      unsyncedDirs.add(parent);
    }
  }

  /**
   * Writes prefix and payload to {@code tmp} with one gathering write (the checksum first: CRC32C
   * runs several times faster than the copy into the page cache, and one system call beats one per
   * piece). A heap payload that is not a {@code byte[]} goes through a native copy.
   *
   * @return the payload's CRC32C
   */
  int writeRecord(Path tmp, byte[] header, MemorySegment payload) throws IOException {
    if (payload.heapBase().isPresent() && !(payload.heapBase().get() instanceof byte[])) {
      try (Arena scratch = Arena.ofConfined()) {
        return writeRecord(tmp, header, scratch.allocate(payload.byteSize(), 8).copyFrom(payload));
      }
    }
    long length = payload.byteSize();
    int crc = Crc32c.of(payload);
    byte[] prefix = RecordCodec.encodePrefix(header, length, crc, config.alignment());
    int pieces = (int) ((length + WRITE_PIECE - 1) / WRITE_PIECE);
    ByteBuffer[] buffers = new ByteBuffer[1 + pieces];
    buffers[0] = ByteBuffer.wrap(prefix);
    for (int i = 0; i < pieces; i++) {
      long off = i * WRITE_PIECE;
      buffers[1 + i] = payload.asSlice(off, Math.min(WRITE_PIECE, length - off)).asByteBuffer();
    }
    try (FileChannel ch = config.access().createFile(tmp)) {
      long left = prefix.length + length;
      while (left > 0) {
        left -= ch.write(buffers);
      }
      if (config.fsync() == FsyncPolicy.ALWAYS) {
        ch.force(false);
      }
    }
    return crc;
  }

  /** Moves {@code file} into {@code corrupt/} (or deletes it if it cannot be moved) and counts it. */
  void quarantineFile(Path file, String reason) {
    corrupt.increment();
    Path target = paths.quarantineDir()
        .resolve(file.getFileName() + "." + System.currentTimeMillis() + "-" + fileCounter.incrementAndGet());
    LOG.log(System.Logger.Level.WARNING, where() + ": quarantined " + file + " as " + target + ": " + reason);
    try {
      Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (NoSuchFileException e) {
      // already gone: nothing left to serve
    } catch (IOException e) {
      deleteQuietly(file);
    }
  }

  /**
   * Forces the files stored since the last pass and their directories: with one {@code syncfs}
   * of the directory's file system where there is one, else file by file.
   */
  void syncUnsynced() {
    syncUnsynced(FileSystemSync.available());
  }

  void syncUnsynced(boolean wholeFileSystem) {
    if (unsynced.isEmpty() && unsyncedDirs.isEmpty()) {
      return;
    }
    List<Path> files = drain(unsynced);
    Set<Path> dirs = new HashSet<>(drain(unsyncedDirs));
    if (wholeFileSystem) {
      try {
        FileSystemSync.sync(paths.root());
        return;
      } catch (IOException e) {
        LOG.log(System.Logger.Level.WARNING, where() + ": syncfs failed; forcing file by file", e);
      }
    }
    for (Path p : files) {
      try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
        ch.force(false);
        dirs.add(p.getParent());
      } catch (NoSuchFileException e) {
        dirs.add(p.getParent());
      } catch (IOException e) {
        unsynced.add(p);
        LOG.log(System.Logger.Level.WARNING, where() + ": cannot force " + p + "; will retry", e);
      }
    }
    for (Path d : dirs) {
      try {
        forceDirectory(d);
      } catch (IOException e) {
        unsyncedDirs.add(d);
        LOG.log(System.Logger.Level.WARNING, where() + ": cannot force directory " + d + "; will retry", e);
      }
    }
  }

  private static List<Path> drain(Set<Path> set) {
    List<Path> out = new ArrayList<>();
    for (Iterator<Path> it = set.iterator(); it.hasNext(); ) {
      out.add(it.next());
      it.remove();
    }
    return out;
  }

  static void forceDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot delete " + p, e);
    }
  }

  static void closeQuietly(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot close a file channel", e);
    }
  }
}
