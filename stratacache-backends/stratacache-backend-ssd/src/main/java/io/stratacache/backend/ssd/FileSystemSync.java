package io.stratacache.backend.ssd;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code syncfs(2)}: forces every dirty file and directory of one file system in one call, which
 * is what {@link FsyncPolicy#BATCH} wants from a pass (one call, however many records were
 * stored, instead of an fdatasync per file). Linux only; elsewhere {@link #available()} is false
 * and the caller forces files one by one.
 */
// Restricted methods are the point of this class (downcalls to libc); native access is enabled for
// this module (Enable-Native-Access in its manifest, --enable-native-access on the class path).
@SuppressWarnings("restricted")
final class FileSystemSync {
  private static final int O_RDONLY = 0;
  private static final int O_CLOEXEC = 0x80000;
  private static final MemoryLayout CALL_STATE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
  private static final MethodHandle OPEN;
  private static final MethodHandle SYNCFS;
  private static final MethodHandle CLOSE;

  static {
    MethodHandle open = null;
    MethodHandle syncfs = null;
    MethodHandle close = null;
    try {
      Linker linker = Linker.nativeLinker();
      Linker.Option errno = Linker.Option.captureCallState("errno");
      Optional<MemorySegment> s = linker.defaultLookup().find("syncfs");
      if (s.isPresent()) {
        syncfs = linker.downcallHandle(s.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), errno);
        open = linker.downcallHandle(linker.defaultLookup().findOrThrow("open"),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
            errno, Linker.Option.firstVariadicArg(2));
        close = linker.downcallHandle(linker.defaultLookup().findOrThrow("close"),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
      }
    } catch (RuntimeException | LinkageError e) {
      syncfs = null;
    }
    OPEN = open;
    SYNCFS = syncfs;
    CLOSE = close;
  }

  private FileSystemSync() {}

  /** Whether {@link #sync(Path)} can be used here. */
  static boolean available() {
    return SYNCFS != null;
  }

  /**
   * Forces everything dirty on the file system that holds {@code dir}.
   *
   * @throws IOException naming the error
   */
  static void sync(Path dir) throws IOException {
    try (Arena scratch = Arena.ofConfined()) {
      MemorySegment state = scratch.allocate(CALL_STATE);
      int fd = (int) OPEN.invokeExact(state, scratch.allocateFrom(dir.toString()), O_RDONLY | O_CLOEXEC, 0);
      if (fd < 0) {
        throw new IOException("open(" + dir + "): errno " + (int) ERRNO.get(state, 0L));
      }
      try {
        if ((int) SYNCFS.invokeExact(state, fd) != 0) {
          throw new IOException("syncfs(" + dir + "): errno " + (int) ERRNO.get(state, 0L));
        }
      } finally {
        int ignored = (int) CLOSE.invokeExact(fd);
        assert ignored == 0 || ignored == -1;
      }
    } catch (IOException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("syncfs(" + dir + ") failed", t);
    }
  }
}
