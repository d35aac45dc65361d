package io.stratacache.bench;

import io.stratacache.core.codec.Crc32c;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How an SSD-tier lease should hold its bytes, decided by measurement: each strategy opens a
 * page-cached file, gets its bytes into memory the lease can own, verifies their CRC32C (as every
 * load does) and releases that memory.
 *
 * <ul>
 *   <li>{@code mapAndCheck}: map the file read-only into an arena of the lease's own (what {@code
 *       SsdLayer} does; zero copies, pages come straight from the page cache).
 *   <li>{@code readFreshAndCheck}: read into a fresh native segment per lease (a copy into memory
 *       that must first be zeroed and faulted in).
 *   <li>{@code readPooledAndCheck}: read into a segment reused across leases (a copy, no faults;
 *       what a buffer pool would give, at the cost of the pool's bookkeeping, not measured).
 * </ul>
 *
 * Run: {@code java -jar benchmarks/target/benchmarks.jar SsdLeaseStrategyBenchmark -f 1 -wi 3 -i 5
 * -w 1 -r 1}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class SsdLeaseStrategyBenchmark {
  @Param({"1", "4", "16", "32"})
  public int mib;

  private Path dir;
  private Path file;
  private long size;
  private Arena pool;
  private MemorySegment pooled;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    size = (long) mib << 20;
    dir = BenchFiles.scratch("ssd-lease-bench", false);
    file = dir.resolve("record");
    pool = Arena.ofShared();
    pooled = pool.allocate(size, 4096);
    BenchFiles.pattern(pooled);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      ByteBuffer b = pooled.asByteBuffer();
      while (b.hasRemaining()) {
        ch.write(b);
      }
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    pool.close();
    BenchFiles.delete(dir);
  }

  @Benchmark
  public int mapAndCheck() throws IOException {
    try (Arena lease = Arena.ofShared(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return Crc32c.of(ch.map(FileChannel.MapMode.READ_ONLY, 0, size, lease));
    }
  }

  @Benchmark
  public int readFreshAndCheck() throws IOException {
    try (Arena lease = Arena.ofShared(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      MemorySegment into = lease.allocate(size, 4096);
      readFully(ch, into);
      return Crc32c.of(into);
    }
  }

  @Benchmark
  public int readPooledAndCheck() throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      readFully(ch, pooled);
      return Crc32c.of(pooled);
    }
  }

  private void readFully(FileChannel ch, MemorySegment into) throws IOException {
    ByteBuffer b = into.asByteBuffer();
    while (b.hasRemaining()) {
      if (ch.read(b) < 0) {
        throw new IOException("short file " + file);
      }
    }
  }
}
