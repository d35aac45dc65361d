package io.stratacache.bench;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Scratch directories and payloads of the durable-tier benchmarks. */
final class BenchFiles {
  private BenchFiles() {}

  /**
   * A fresh directory under {@code -Dbench.dir} (default: the temporary directory) for files, or
   * under {@code /dev/shm} (where there is one) for shared-memory regions.
   */
  static Path scratch(String prefix, boolean sharedMemory) {
    try {
      Path shm = Path.of("/dev/shm");
      if (sharedMemory && Files.isDirectory(shm) && Files.isWritable(shm)) {
        return Files.createTempDirectory(shm, prefix);
      }
      return Files.createTempDirectory(Path.of(System.getProperty("bench.dir", System.getProperty("java.io.tmpdir"))), prefix);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Fills {@code s} with a non-repeating pattern (so no layer can shortcut zero pages). */
  static MemorySegment pattern(MemorySegment s) {
    for (long i = 0; i + 8 <= s.byteSize(); i += 8) {
      s.set(ValueLayout.JAVA_LONG_UNALIGNED, i, i * 0x9E3779B97F4A7C15L);
    }
    return s;
  }

  static void delete(Path root) {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
