package io.stratacache.bench;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
 * The CPU tier against the limit of one memory copy, per artifact size.
 *
 * <ul>
 *   <li>{@code copy}: the baseline, {@code MemorySegment.copy} of the artifact's bytes between two
 *       pre-touched native segments.
 *   <li>{@code copyAlternating}: the same copy into two destinations in turn, the footprint of a
 *       replacing store (which must write beside the bytes it replaces); explains gaps at sizes
 *       where the baseline's two segments stay in the core's cache.
 *   <li>{@code store}: {@code put} of the same bytes from a native segment, replacing one id (so
 *       every call allocates, copies, publishes and frees the previous block).
 *   <li>{@code loadInto}: {@code get}, {@code copyTo} a caller's segment, {@code close}.
 *   <li>{@code leaseLoad}: {@code get} and {@code close} (zero copy), in ns.
 *   <li>{@code sharedArenaLease}: the alternative lease design, a shared arena per lease whose
 *       close makes stale views fault: open, view, read one byte, close, in ns.
 * </ul>
 *
 * Targets: {@code store} and {@code loadInto} at least 0.9x the throughput of {@code copy};
 * {@code leaseLoad} under 2 us at every size. Run: {@code java -jar benchmarks/target/benchmarks.jar
 * CpuTierBenchmark -f 1 -wi 3 -i 5 -w 1 -r 1}. On a machine shared with other work, averages of
 * millisecond copies swing by 2x between iterations; {@code -bm sample} and the ratio of the p0 and
 * p50 invocation times of {@code copy} and {@code store} in the same run are far steadier.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class CpuTierBenchmark {
  @Param({"1", "4", "16", "32"})
  public int mib;

  private Arena arena;
  private MemorySegment src;
  private MemorySegment dst;
  private MemorySegment otherDst;
  private boolean other;
  private MemoryLayer layer;
  private final ArtifactId stored = ArtifactId.of("bench", "stored");
  private final ArtifactId loaded = ArtifactId.of("bench", "loaded");
  private final ArtifactMeta meta = ArtifactMeta.of(ArtifactType.KV_BLOCKS);

  @Setup(Level.Trial)
  public void setUp() {
    long size = (long) mib << 20;
    arena = Arena.ofShared();
    src = Payloads.patterned(arena, size);
    dst = Payloads.pretouched(arena, size);
    otherDst = Payloads.pretouched(arena, size);
    // Room for the loaded artifact and two generations of the stored one (a replace writes the
    // new bytes before it frees the old).
    layer = LayerProviders.forName("cpu").open(LayerSpec.of("bench", "cpu", Map.of("capacity", 4 * size)));
    layer.put(loaded, meta, src);
    layer.put(stored, meta, src);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    layer.close();
    arena.close();
  }

  @Benchmark
  public MemorySegment copy() {
    MemorySegment.copy(src, 0, dst, 0, src.byteSize());
    return dst;
  }

  @Benchmark
  public MemorySegment copyAlternating() {
    MemorySegment to = (other = !other) ? otherDst : dst;
    MemorySegment.copy(src, 0, to, 0, src.byteSize());
    return to;
  }

  @Benchmark
  public MemoryLayer store() {
    layer.put(stored, meta, src);
    return layer;
  }

  @Benchmark
  public MemorySegment loadInto() {
    try (Lease lease = layer.get(loaded)) {
      lease.copyTo(dst);
    }
    return dst;
  }

  @Benchmark
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public long leaseLoad() {
    try (Lease lease = layer.get(loaded)) {
      return lease.segment().address();
    }
  }

  // Restricted: reinterpret scopes a view of the slab to the per-lease arena being measured.
  @SuppressWarnings("restricted")
  @Benchmark
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public byte sharedArenaLease() {
    try (Arena perLease = Arena.ofShared()) {
      MemorySegment view = src.reinterpret(perLease, null).asReadOnly();
      return view.get(ValueLayout.JAVA_BYTE, 0);
    }
  }
}
