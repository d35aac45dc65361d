package io.stratacache.bench;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
 * The CXL tier against a plain {@code MemorySegment.copy} into and out of a mapped region of the
 * same kind ({@code /dev/shm} where there is one), per artifact size.
 *
 * <ul>
 *   <li>{@code copyIn}: copy the bytes into the mapped region; the baseline of {@code store}.
 *   <li>{@code copyInAlternating}: the same into two places in turn, the footprint of a replacing
 *       store (which writes beside the bytes it replaces).
 *   <li>{@code store}: {@code put}, replacing one id (claim under the region lock, copy with a
 *       running CRC32C, prefix, commit).
 *   <li>{@code copyOut}: copy the bytes out of the mapped region; the baseline of {@code loadInto}.
 *   <li>{@code loadInto}: {@code get} (verifies the CRC32C), {@code copyTo}, {@code close}.
 *   <li>{@code loadIntoVerifyOnce}: {@code loadInto} from a tier with {@code verify: once} (the
 *       first load of a commit checks it, later loads trust that).
 *   <li>{@code leaseLoad}: {@code get} and {@code close}, zero copies but one checksum pass.
 * </ul>
 *
 * Run: {@code java -jar benchmarks/target/benchmarks.jar CxlTierBenchmark -f 1 -wi 3 -i 5 -w 1 -r 1}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class CxlTierBenchmark {
  @Param({"1", "4", "16", "32"})
  public int mib;

  private Path dir;
  private Arena arena;
  private MemorySegment src;
  private MemorySegment dst;
  private MemorySegment plain;
  private boolean other;
  private MemoryLayer layer;
  private MemoryLayer verifyOnce;
  private final ArtifactId stored = ArtifactId.of("bench", "stored");
  private final ArtifactId loaded = ArtifactId.of("bench", "loaded");
  private final ArtifactMeta meta = ArtifactMeta.of(ArtifactType.KV_BLOCKS);

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    long size = (long) mib << 20;
    dir = BenchFiles.scratch("cxl-bench", true);
    arena = Arena.ofShared();
    src = arena.allocate(size, 4096);
    dst = arena.allocate(size, 4096);
    BenchFiles.pattern(src);
    try (FileChannel ch = FileChannel.open(dir.resolve("plain"), StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      plain = ch.map(FileChannel.MapMode.READ_WRITE, 0, 2 * size, arena);
    }
    plain.fill((byte) 1);
    layer = LayerProviders.forName("cxl").open(LayerSpec.of("bench", "cxl",
        Map.of("path", dir.resolve("region").toString(), "capacity", 4 * size + (1 << 20))));
    layer.put(loaded, meta, src);
    layer.put(stored, meta, src);
    layer.put(stored, meta, src);
    verifyOnce = LayerProviders.forName("cxl").open(LayerSpec.of("bench-once", "cxl",
        Map.of("path", dir.resolve("region-once").toString(), "capacity", size + (1 << 20), "verify", "once")));
    verifyOnce.put(loaded, meta, src);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    layer.close();
    verifyOnce.close();
    arena.close();
    BenchFiles.delete(dir);
  }

  @Benchmark
  public MemorySegment copyIn() {
    MemorySegment.copy(src, 0, plain, 0, src.byteSize());
    return plain;
  }

  @Benchmark
  public MemorySegment copyInAlternating() {
    long at = (other = !other) ? src.byteSize() : 0;
    MemorySegment.copy(src, 0, plain, at, src.byteSize());
    return plain;
  }

  @Benchmark
  public MemoryLayer store() {
    layer.put(stored, meta, src);
    return layer;
  }

  @Benchmark
  public MemorySegment copyOut() {
    MemorySegment.copy(plain, 0, dst, 0, dst.byteSize());
    return dst;
  }

  @Benchmark
  public MemorySegment loadInto() {
    try (Lease lease = layer.get(loaded)) {
      lease.copyTo(dst);
    }
    return dst;
  }

  @Benchmark
  public MemorySegment loadIntoVerifyOnce() {
    try (Lease lease = verifyOnce.get(loaded)) {
      lease.copyTo(dst);
    }
    return dst;
  }

  @Benchmark
  public long leaseLoad() {
    try (Lease lease = layer.get(loaded)) {
      return lease.segment().address();
    }
  }
}
