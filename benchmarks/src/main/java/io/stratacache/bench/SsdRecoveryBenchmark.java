package io.stratacache.bench;

import io.stratacache.backend.ssd.SsdLayer;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.MemoryLayer;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
 * Restart of the SSD tier: opening a directory of {@code artifacts} records rebuilds the index
 * from their headers.
 *
 * <ul>
 *   <li>{@code recover}: open the tier (lock, scan, read and check every header, build the index
 *       and the eviction order) and close it.
 *   <li>{@code listAndStat}: the least any directory-based index must do, walking the tree and
 *       reading each file's attributes; the baseline.
 * </ul>
 *
 * Target: {@code recover} of 10,000 artifacts in at most 1 s. The directory is in the page cache
 * (as after a process restart); after a reboot the first scan also pays one disk read per header.
 * Run: {@code java -jar benchmarks/target/benchmarks.jar SsdRecoveryBenchmark -f 1 -wi 3 -i 5}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class SsdRecoveryBenchmark {
  @Param({"10000"})
  public int artifacts;

  private Path dir;
  private Map<String, Object> settings;

  @Setup(Level.Trial)
  public void setUp() {
    dir = BenchFiles.scratch("ssd-recovery-bench", false);
    settings = Map.of("path", dir.resolve("tier").toString(), "capacity", "1GiB", "fsync", "never");
    MemorySegment payload = MemorySegment.ofArray(new byte[16 << 10]);
    ArtifactMeta meta = ArtifactMeta.builder(ArtifactType.KV_BLOCKS).attribute("tensor_dtype", "bfloat16")
        .attribute("tensor_shape", "[2,32,256,128]").build();
    try (MemoryLayer layer = open()) {
      for (int i = 0; i < artifacts; i++) {
        layer.put(ArtifactId.of("kv", "llama3-8b", "c" + i), meta, payload);
      }
    }
  }

  private MemoryLayer open() {
    return LayerProviders.forName("ssd").open(LayerSpec.of("bench", "ssd", settings));
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    BenchFiles.delete(dir);
  }

  @Benchmark
  public int recover() {
    try (SsdLayer layer = (SsdLayer) open()) {
      if (layer.recoveredArtifacts() != artifacts) {
        throw new IllegalStateException("recovered " + layer.recoveredArtifacts() + " of " + artifacts);
      }
      return layer.recoveredArtifacts();
    }
  }

  @Benchmark
  public long listAndStat() throws IOException {
    long bytes = 0;
    try (Stream<Path> files = Files.walk(dir.resolve("tier"))) {
      for (Path p : (Iterable<Path>) files::iterator) {
        bytes += Files.readAttributes(p, BasicFileAttributes.class).size();
      }
    }
    return bytes;
  }
}
