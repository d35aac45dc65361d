package io.stratacache.backend.cxl;

import io.stratacache.core.LayerUnavailableException;
import io.stratacache.core.io.PrivateFiles;
import io.stratacache.core.io.UnsafePathException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A region mapped shared and read-write with {@code mmap}, and the typed, ordered accesses the
 * tier makes to it. Volatile and release/acquire accesses go through {@link VarHandle}s on the
 * mapped segment, so they are atomic and ordered across every process that maps the region
 * (coherent shared memory on one host, or a coherent CXL device).
 */
final class CxlRegion implements AutoCloseable {
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG_HANDLE = LONG.varHandle();
  private static final int S_IFMT = 0170000;
  private static final int S_IFCHR = 0020000;

  private final Path path;
  private final boolean device;
  private final Arena arena;
  private final MemorySegment segment;

  private CxlRegion(Path path, boolean device, Arena arena, MemorySegment segment) {
    this.path = path;
    this.device = device;
    this.arena = arena;
    this.segment = segment;
  }

  /**
   * Maps the region of {@code config}: a character device at its own size, an existing file at
   * its size, or a new file created at {@code newSize} bytes (with its blocks reserved where the
   * file system allows, so that touching the mapping cannot fail later for lack of space).
   *
   * @throws LayerUnavailableException naming the path and the fix if it cannot be mapped
   */
  static CxlRegion map(String tier, CxlConfig config, long newSize) {
    Path path = config.path();
    boolean device = isCharacterDevice(path);
    if (config.isDaxDevice() && !device) {
      throw new LayerUnavailableException(
          "cxl tier '" + tier + "': DAX device " + path + (Files.exists(path) ? " is not a character device" : " does not exist")
              + " (expected: a device-dax namespace; create one with 'ndctl create-namespace --mode=devdax' or"
              + " 'daxctl reconfigure-device --mode=devdax', or set tiers." + tier + ".path to a file such as"
              + " /dev/shm/stratacache-" + tier + ")");
    }
    long size;
    if (device) {
      size = deviceSize(tier, path, config.sizeBytes());
    } else {
      size = prepareFile(tier, path, newSize, config.access());
    }
    Arena arena = Arena.ofShared();
    boolean success = false;
    try {
      MemorySegment segment = Libc.mapShared(path.toString(), size, arena);
      success = true;
      return new CxlRegion(path, device, arena, segment);
    } catch (LayerUnavailableException e) {
      throw new LayerUnavailableException("cxl tier '" + tier + "': " + e.getMessage(), e);
    } finally {
      if (!success) {
        arena.close();
      }
    }
  }

  private static boolean isCharacterDevice(Path path) {
    try {
      int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      return (mode & S_IFMT) == S_IFCHR;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return false;
    }
  }

  private static long deviceSize(String tier, Path path, long configured) {
    Path sysfs = Path.of("/sys/bus/dax/devices", path.getFileName().toString(), "size");
    try {
      return Long.parseLong(Files.readString(sysfs).trim());
    } catch (IOException | NumberFormatException e) {
      if (configured > 0) {
        return configured;
      }
      throw new LayerUnavailableException(
          "cxl tier '" + tier + "': cannot read the size of " + path + " from " + sysfs + " (" + e
              + "); set tiers." + tier + ".size to the device's size");
    }
  }

  /**
   * Sizes a region file: an existing one keeps its size, once it passes the checks of {@link
   * PrivateFiles#checkExisting} (no symbolic link, not writable by others, not another user's); a
   * missing one is created exclusively with the tier's mode (its directory too, if missing).
   */
  private static long prepareFile(String tier, Path path, long newSize, PrivateFiles access) {
    try {
      boolean exists = Files.exists(path, LinkOption.NOFOLLOW_LINKS);
      if (exists) {
        access.checkExisting(path, false);
        long existing = Files.size(path);
        if (existing > 0) {
          return existing;
        }
      }
      if (newSize <= 0) {
        throw new LayerUnavailableException(
            "cxl tier '" + tier + "': region " + path + (exists ? " is empty" : " does not exist") + " and neither tiers."
                + tier + ".capacity nor tiers." + tier + ".size says how large to create it");
      }
      Path parent = path.toAbsolutePath().getParent();
      if (parent != null && !Files.isDirectory(parent)) {
        access.createDirectories(parent);
      }
      try (FileChannel ch = exists
          ? FileChannel.open(path, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)
          : access.createFile(path)) {
        ch.write(ByteBuffer.allocate(1), newSize - 1);
      }
      Libc.fallocate(path.toString(), newSize);
      return newSize;
    } catch (UnsafePathException e) {
      throw new LayerUnavailableException("cxl tier '" + tier + "': " + e.getMessage(), e);
    } catch (NoSuchFileException e) {
      throw new LayerUnavailableException("cxl tier '" + tier + "': cannot create region " + path + ": no such directory", e);
    } catch (IOException e) {
      throw new LayerUnavailableException("cxl tier '" + tier + "': cannot create region " + path + ": " + e, e);
    }
  }

  Path path() {
    return path;
  }

  boolean isDevice() {
    return device;
  }

  MemorySegment segment() {
    return segment;
  }

  long size() {
    return segment.byteSize();
  }

  long address() {
    return segment.address();
  }

  long getLong(long offset) {
    return segment.get(LONG, offset);
  }

  void setLong(long offset, long value) {
    segment.set(LONG, offset, value);
  }

  int getInt(long offset) {
    return segment.get(INT, offset);
  }

  void setInt(long offset, int value) {
    segment.set(INT, offset, value);
  }

  long getVolatile(long offset) {
    return (long) LONG_HANDLE.getVolatile(segment, offset);
  }

  void setVolatile(long offset, long value) {
    LONG_HANDLE.setVolatile(segment, offset, value);
  }

  long getAcquire(long offset) {
    return (long) LONG_HANDLE.getAcquire(segment, offset);
  }

  void setRelease(long offset, long value) {
    LONG_HANDLE.setRelease(segment, offset, value);
  }

  boolean compareAndSet(long offset, long expected, long value) {
    return LONG_HANDLE.compareAndSet(segment, offset, expected, value);
  }

  /** Atomically adds {@code delta} (a full fence, as a volatile write); returns the old value. */
  long getAndAdd(long offset, long delta) {
    return (long) LONG_HANDLE.getAndAdd(segment, offset, delta);
  }

  /** Atomically ORs {@code bits} in (a full fence, as a volatile write). */
  long getAndOr(long offset, long bits) {
    return (long) LONG_HANDLE.getAndBitwiseOr(segment, offset, bits);
  }

  /** Atomically ANDs {@code bits} in (a full fence, as a volatile write). */
  long getAndAnd(long offset, long bits) {
    return (long) LONG_HANDLE.getAndBitwiseAnd(segment, offset, bits);
  }

  /**
   * A view of {@code size} bytes at {@code offset} whose lifetime is {@code arena}'s: closing the
   * arena makes the view unusable without touching the region. The caller keeps the region mapped
   * for as long as the arena is open.
   */
  // Restricted by design: a view with its own lifetime is what lets a lease fail on use after
  // close; native access is enabled for this module (Enable-Native-Access in its manifest).
  @SuppressWarnings("restricted")
  MemorySegment view(long offset, long size, Arena arena) {
    java.util.Objects.checkFromIndexSize(offset, size, segment.byteSize());
    return MemorySegment.ofAddress(segment.address() + offset).reinterpret(size, arena, null);
  }

  /** Unmaps the region; every view of it becomes unusable. */
  @Override
  public void close() {
    arena.close();
  }
}
