package io.stratacache.backend.cxl;

import io.stratacache.core.LayerUnavailableException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The few libc calls that map a region: {@code open}, {@code close}, {@code mmap}, {@code munmap}
 * and {@code posix_fallocate}, through FFM downcalls. {@code FileChannel.map} refuses character
 * devices such as {@code /dev/dax0.0}; {@code mmap} maps them, and files, alike.
 */
// Restricted methods are the point of this class: downcalls to libc and wrapping the addresses
// that mmap returns. Native access is enabled for this module (Enable-Native-Access in its
// manifest, --enable-native-access=ALL-UNNAMED on the class path).
@SuppressWarnings("restricted")
final class Libc {
  static final int O_RDWR = 2;
  static final int O_CLOEXEC = 0x80000;
  static final int PROT_READ = 1;
  static final int PROT_WRITE = 2;
  static final int MAP_SHARED = 1;
  static final int EOPNOTSUPP = 95;
  static final int EINTR = 4;

  private static final Linker LINKER = Linker.nativeLinker();
  private static final SymbolLookup LIBC = LINKER.defaultLookup();
  private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
  private static final MemoryLayout CALL_STATE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO_HANDLE =
      CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

  private static final MethodHandle OPEN = downcall("open",
      FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
      ERRNO, Linker.Option.firstVariadicArg(2));
  private static final MethodHandle CLOSE = downcall("close",
      FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), ERRNO);
  private static final MethodHandle MMAP = downcall("mmap",
      FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
          ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG), ERRNO);
  private static final MethodHandle MUNMAP = downcall("munmap",
      FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG), ERRNO);
  private static final MethodHandle FALLOCATE = downcall("posix_fallocate",
      FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
  private static final MethodHandle STRERROR = downcall("strerror",
      FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

  private Libc() {}

  private static MethodHandle downcall(String name, FunctionDescriptor fd, Linker.Option... options) {
    MemorySegment symbol = LIBC.find(name)
        .orElseThrow(() -> new LayerUnavailableException("libc has no symbol '" + name + "' (expected: Linux with glibc or musl)"));
    return LINKER.downcallHandle(symbol, fd, options);
  }

  /**
   * Maps {@code length} bytes of {@code path} shared and read-write into {@code arena}; closing
   * the arena unmaps it.
   *
   * @throws LayerUnavailableException naming the path and the error
   */
  static MemorySegment mapShared(String path, long length, Arena arena) {
    try (Arena scratch = Arena.ofConfined()) {
      MemorySegment state = scratch.allocate(CALL_STATE);
      int fd = (int) OPEN.invokeExact(state, scratch.allocateFrom(path), O_RDWR | O_CLOEXEC, 0);
      if (fd < 0) {
        throw failure("open(" + path + ")", errno(state));
      }
      try {
        MemorySegment addr = (MemorySegment) MMAP.invokeExact(
            state, MemorySegment.NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0L);
        if (addr.address() == -1L) {
          throw failure("mmap(" + path + ", " + length + " bytes)", errno(state));
        }
        long base = addr.address();
        return addr.reinterpret(length, arena, s -> unmap(base, length));
      } finally {
        int rc = (int) CLOSE.invokeExact(state, fd);
        assert rc == 0 || errno(state) == EINTR;
      }
    } catch (LayerUnavailableException e) {
      throw e;
    } catch (Throwable t) {
      throw new LayerUnavailableException("cannot map " + path + ": " + t, t);
    }
  }

  /**
   * Reserves the blocks of {@code path}'s first {@code length} bytes, so that touching the mapping
   * later cannot fail for lack of space. Returns false if the file system cannot do it.
   *
   * @throws LayerUnavailableException if there is not enough space
   */
  static boolean fallocate(String path, long length) {
    try (Arena scratch = Arena.ofConfined()) {
      MemorySegment state = scratch.allocate(CALL_STATE);
      int fd = (int) OPEN.invokeExact(state, scratch.allocateFrom(path), O_RDWR | O_CLOEXEC, 0);
      if (fd < 0) {
        throw failure("open(" + path + ")", errno(state));
      }
      try {
        int rc = (int) FALLOCATE.invokeExact(fd, 0L, length);
        if (rc == EOPNOTSUPP) {
          return false;
        }
        if (rc != 0) {
          throw failure("posix_fallocate(" + path + ", " + length + " bytes)", rc);
        }
        return true;
      } finally {
        int rc = (int) CLOSE.invokeExact(state, fd);
        assert rc == 0 || errno(state) == EINTR;
      }
    } catch (LayerUnavailableException e) {
      throw e;
    } catch (Throwable t) {
      throw new LayerUnavailableException("cannot allocate " + path + ": " + t, t);
    }
  }

  private static void unmap(long base, long length) {
    try (Arena scratch = Arena.ofConfined()) {
      MemorySegment state = scratch.allocate(CALL_STATE);
      int rc = (int) MUNMAP.invokeExact(state, MemorySegment.ofAddress(base), length);
      if (rc != 0) {
        System.getLogger(Libc.class.getName())
            .log(System.Logger.Level.WARNING, "munmap(" + Long.toHexString(base) + ", " + length + "): " + strerror(errno(state)));
      }
    } catch (Throwable t) {
      System.getLogger(Libc.class.getName()).log(System.Logger.Level.WARNING, "munmap failed", t);
    }
  }

  private static int errno(MemorySegment state) {
    return (int) ERRNO_HANDLE.get(state, 0L);
  }

  private static LayerUnavailableException failure(String call, int errno) {
    return new LayerUnavailableException(call + " failed: " + strerror(errno) + " (errno " + errno + ")");
  }

  static String strerror(int errno) {
    try {
      MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
      return s.reinterpret(256).getString(0);
    } catch (Throwable t) {
      return "errno " + errno;
    }
  }
}
