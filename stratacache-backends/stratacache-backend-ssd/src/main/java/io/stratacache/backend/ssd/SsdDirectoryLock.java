package io.stratacache.backend.ssd;

import io.stratacache.core.LayerUnavailableException;
import io.stratacache.core.io.UnsafePathException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The lock that keeps a directory to one {@link SsdLayer}: its {@code .lock} file held with {@code
 * flock} for the layer's life, holding the holder's pid so that a second opener is refused with a
 * message naming the directory and the process that has it. Acquired by the layer's constructor,
 * released by its close.
 */
final class SsdDirectoryLock {
  private static final System.Logger LOG = System.getLogger(SsdLayer.class.getName());

  private final FileChannel channel;
  private final FileLock lock;
  private final Path lockFile;
  private final String where;

  private SsdDirectoryLock(FileChannel channel, FileLock lock, Path lockFile, String where) {
    this.channel = channel;
    this.lock = lock;
    this.lockFile = lockFile;
    this.where = where;
  }

  /**
   * Locks {@code paths}' directory and writes this process's pid into the lock file.
   *
   * @param tier the tier's name, as the refusal's hint names its setting
   * @param where the layer as error messages name it
   * @throws LayerUnavailableException if the lock file cannot be opened or written, or another
   *     layer (in this process or another) holds the lock
   */
  static SsdDirectoryLock acquire(SsdPaths paths, SsdConfig config, String tier, String where) {
    FileChannel channel;
    try {
      channel = config.access().openOrCreate(paths.lockFile());
    } catch (UnsafePathException e) {
      throw new LayerUnavailableException(where + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new LayerUnavailableException(where + ": cannot open " + paths.lockFile() + ": " + e, e);
    }
    boolean success = false;
    try {
      FileLock lock;
      boolean here = false;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
        here = true;
      }
      if (lock == null) {
        String holder = here ? "another layer in this process (pid " + ProcessHandle.current().pid() + ")" : holderOf(paths.lockFile());
        throw new LayerUnavailableException(
            where + ": directory " + paths.root() + " is already open, held by " + holder + " (lock file " + paths.lockFile()
                + "; expected: one layer per directory; close the other, or give tiers." + tier + ".path a directory of its own)");
      }
      channel.truncate(0);
      channel.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
      success = true;
      return new SsdDirectoryLock(channel, lock, paths.lockFile(), where);
    } catch (IOException e) {
      throw new LayerUnavailableException(where + ": cannot lock " + paths.lockFile() + ": " + e, e);
    } finally {
      if (!success) {
        SsdRecordFiles.closeQuietly(channel);
      }
    }
  }

  /** Who holds the lock file, from the pid its holder wrote into it. */
  private static String holderOf(Path lockFile) {
    try {
      String text = Files.readString(lockFile, StandardCharsets.US_ASCII).trim();
      if (text.startsWith("pid ")) {
        long pid = Long.parseLong(text.substring(4).trim());
        String command = ProcessHandle.of(pid).flatMap(h -> h.info().command()).map(c -> ", " + c).orElse("");
        return "process " + pid + command;
      }
    } catch (IOException | RuntimeException e) {
      // an older layer wrote no pid, or it cannot be read: say so below
    }
    return "another process (its pid is not in the lock file)";
  }

  /** Releases the lock (the layer closes); a failure to unlock is logged. */
  void release() {
    try {
      lock.release();
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, where + ": cannot unlock " + lockFile, e);
    }
    SsdRecordFiles.closeQuietly(channel);
  }

  /** Closes the lock file, which drops the lock (the layer failed to open). */
  void abandon() {
    SsdRecordFiles.closeQuietly(channel);
  }
}
