package io.stratacache.bench;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.MemoryLayer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
 * Why the CPU tier pre-touches its slab: the first store of 32 MiB into a freshly opened layer,
 * with and without {@code pretouch}. Each iteration opens a new layer (allocation and pre-touch
 * are not measured) and times one put. Compare {@code pretouch=false} against {@code
 * pretouch=true}; the ratio is the cost of first-touch page faults on the hot path.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 10)
@Measurement(iterations = 30)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class CpuTierFirstTouchBenchmark {
  private static final long SIZE = 32L << 20;

  @Param({"true", "false"})
  public boolean pretouch;

  private Arena arena;
  private MemorySegment src;
  private MemoryLayer layer;
  private final ArtifactId id = ArtifactId.of("bench", "first");

  @Setup(Level.Trial)
  public void allocateSource() {
    arena = Arena.ofShared();
    src = arena.allocate(SIZE, 4096);
    src.fill((byte) 7);
  }

  @Setup(Level.Iteration)
  public void openLayer() {
    layer = LayerProviders.forName("cpu")
        .open(LayerSpec.of("bench", "cpu", Map.of("capacity", 2 * SIZE, "pretouch", pretouch)));
  }

  @TearDown(Level.Iteration)
  public void closeLayer() {
    layer.close();
  }

  @TearDown(Level.Trial)
  public void freeSource() {
    arena.close();
  }

  @Benchmark
  public MemoryLayer firstStore() {
    layer.put(id, ArtifactMeta.custom(), src);
    return layer;
  }
}
