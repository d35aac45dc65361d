package io.stratacache.bench;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.codec.Crc32c;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
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
 * The SSD tier against what a user would write by hand: raw {@link FileChannel} writes and reads
 * of the same bytes with the same durability, per artifact size and fsync policy.
 *
 * <ul>
 *   <li>{@code rawWrite}: open a file (create or truncate), write the bytes, {@code force(false)}
 *       under {@code always}, close; the baseline of {@code store}.
 *   <li>{@code store}: {@code put} of the same bytes, replacing one id (temp file, checksum,
 *       rename; under {@code always} also fdatasync of the file and fsync of the directory).
 *   <li>{@code rawRead}: open the file, read it into a caller's native segment, close; the
 *       baseline of {@code loadInto}.
 *   <li>{@code rawReadChecked}: {@code rawRead} plus a CRC32C of what was read: what a user who
 *       wanted torn files detected would do; the fair baseline of a verified load.
 *   <li>{@code loadInto}: {@code get} (a view of the record's shared mapping), {@code copyTo} the
 *       same segment, {@code close}, with the default {@code verify: once} (the first load of a
 *       record version in the process checks it, later loads trust that).
 *   <li>{@code loadIntoVerifyAlways}: the same from a tier with {@code verify: always}: every
 *       lease checks the CRC32C, {@code copyTo} while it copies (one pass over memory).
 *   <li>{@code lease} / {@code leaseVerifyAlways}: {@code get} and {@code close} alone, no read
 *       of the payload: what a zero-copy user pays per load (target under 10 µs at any size).
 * </ul>
 *
 * Targets: {@code store} at least 0.8x its baseline (a time ratio baseline/tier of 0.8 or more);
 * {@code loadInto} at least 0.9x {@code rawRead} at 16 MiB and 0.8x at 1 and 4 MiB. Files live under {@code -Dbench.dir} (default the
 * temporary directory); reads hit the page cache on both sides. Run: {@code java -jar
 * benchmarks/target/benchmarks.jar SsdTierBenchmark -f 1 -wi 3 -i 5 -w 1 -r 1}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class SsdTierBenchmark {
  @Param({"1", "4", "16"})
  public int mib;

  @Param({"never", "always"})
  public String fsync;

  private Path dir;
  private Path rawWriteFile;
  private Path rawReadFile;
  private Arena arena;
  private MemorySegment src;
  private MemorySegment dst;
  private MemoryLayer layer;
  private MemoryLayer verifyAlways;
  private final ArtifactId stored = ArtifactId.of("bench", "stored");
  private final ArtifactId loaded = ArtifactId.of("bench", "loaded");
  private final ArtifactMeta meta = ArtifactMeta.of(ArtifactType.KV_BLOCKS);

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    long size = (long) mib << 20;
    dir = BenchFiles.scratch("ssd-bench", false);
    rawWriteFile = dir.resolve("raw-write");
    rawReadFile = dir.resolve("raw-read");
    arena = Arena.ofShared();
    src = arena.allocate(size, 4096);
    dst = arena.allocate(size, 4096);
    BenchFiles.pattern(src);
    layer = LayerProviders.forName("ssd").open(LayerSpec.of("bench", "ssd",
        Map.of("path", dir.resolve("tier").toString(), "capacity", 8 * size, "fsync", fsync)));
    layer.put(loaded, meta, src);
    layer.put(stored, meta, src);
    verifyAlways = LayerProviders.forName("ssd").open(LayerSpec.of("bench-always", "ssd",
        Map.of("path", dir.resolve("tier-always").toString(), "capacity", 2 * size, "fsync", fsync, "verify", "always")));
    verifyAlways.put(loaded, meta, src);
    rawWrite();
    try (FileChannel ch = FileChannel.open(rawReadFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      write(ch, src.asByteBuffer());
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    layer.close();
    verifyAlways.close();
    arena.close();
    BenchFiles.delete(dir);
  }

  @Benchmark
  public Path rawWrite() throws IOException {
    try (FileChannel ch = FileChannel.open(rawWriteFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      write(ch, src.asByteBuffer());
      if (fsync.equals("always")) {
        ch.force(false);
      }
    }
    return rawWriteFile;
  }

  @Benchmark
  public MemoryLayer store() {
    layer.put(stored, meta, src);
    return layer;
  }

  @Benchmark
  public MemorySegment rawRead() throws IOException {
    try (FileChannel ch = FileChannel.open(rawReadFile, StandardOpenOption.READ)) {
      ByteBuffer b = dst.asByteBuffer();
      while (b.hasRemaining()) {
        if (ch.read(b) < 0) {
          throw new IOException("short file " + rawReadFile);
        }
      }
    }
    return dst;
  }

  @Benchmark
  public int rawReadChecked() throws IOException {
    return Crc32c.of(rawRead());
  }

  @Benchmark
  public MemorySegment loadIntoVerifyAlways() {
    try (Lease lease = verifyAlways.get(loaded)) {
      lease.copyTo(dst);
    }
    return dst;
  }

  @Benchmark
  public long lease() {
    try (Lease lease = layer.get(loaded)) {
      return lease.size();
    }
  }

  @Benchmark
  public long leaseVerifyAlways() {
    try (Lease lease = verifyAlways.get(loaded)) {
      return lease.size();
    }
  }

  @Benchmark
  public MemorySegment loadInto() {
    try (Lease lease = layer.get(loaded)) {
      lease.copyTo(dst);
    }
    return dst;
  }

  private static void write(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }
}
