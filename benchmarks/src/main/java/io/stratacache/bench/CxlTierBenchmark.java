package io.stratacache.bench;

import io.stratacache.backend.cxl.CxlLayer;
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
 *   <li>{@code store}: {@code put}, replacing one id (claim under the region lock, copy with the
 *       CRC32C computed block by block in the same pass, prefix, commit); {@code storeVerifyAlways}
 *       the same into a tier with {@code verify: always} (stores do the same work under both).
 *   <li>{@code copyOut}: copy the bytes out of the mapped region; the baseline of the loads.
 *   <li>{@code loadInto}: {@code get}, {@code copyTo}, {@code close} with the default {@code
 *       verify: once}: the commit was checked once, so the lease reads only the header.
 *   <li>{@code loadIntoOnePass}: {@code CxlLayer.loadInto} with {@code verify: always}: the
 *       payload's CRC32C is computed over each block as it is copied out, on every load.
 *   <li>{@code loadIntoVerifyAlways}: {@code get} (a checksum pass), {@code copyTo} (a copy
 *       pass), {@code close}, with {@code verify: always}: two passes.
 *   <li>{@code leaseLoad}: {@code get} and {@code close} with the default policy: O(1).
 *   <li>{@code leaseLoadVerifyAlways}: the same with {@code verify: always}: a checksum pass.
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
  private CxlLayer verifyAlways;
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
    verifyAlways = CxlLayer.open(LayerSpec.of("bench-always", "cxl",
        Map.of("path", dir.resolve("region-always").toString(), "capacity", 4 * size + (1 << 20), "verify", "always")));
    verifyAlways.put(loaded, meta, src);
    verifyAlways.put(stored, meta, src);
    verifyAlways.put(stored, meta, src);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    layer.close();
    verifyAlways.close();
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
  public MemoryLayer storeVerifyAlways() {
    verifyAlways.put(stored, meta, src);
    return verifyAlways;
  }

  @Benchmark
  public long loadIntoOnePass() {
    return verifyAlways.loadInto(loaded, dst);
  }

  @Benchmark
  public MemorySegment loadIntoVerifyAlways() {
    try (Lease lease = verifyAlways.get(loaded)) {
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

  @Benchmark
  public long leaseLoadVerifyAlways() {
    try (Lease lease = verifyAlways.get(loaded)) {
      return lease.segment().address();
    }
  }
}
