package io.stratacache.bench;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.ProbeResult;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import jcuda.Pointer;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaMemcpyKind;
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
 * The GPU tier against a plain pinned {@code cudaMemcpy} of the same bytes, per artifact size.
 *
 * <ul>
 *   <li>{@code pinnedHostToDevice} / {@code pinnedDeviceToHost}: the baselines, one synchronous
 *       {@code cudaMemcpy} between a pinned host buffer ({@code cudaMallocHost}) and a device buffer
 *       ({@code cudaMalloc}); bytes per second of these is what the link gives.
 *   <li>{@code tierStore}: {@code put} of the same bytes from an ordinary (pageable, pre-touched)
 *       native segment, replacing one id: staging through pinned buffers, allocation, publication.
 *   <li>{@code tierLoadInto}: {@code get}, {@code copyTo} an ordinary native segment, {@code close}.
 * </ul>
 *
 * Target: {@code tierStore} and {@code tierLoadInto} at least 0.85x the throughput of their
 * baseline. Needs a GPU (the setup fails with the probe's reason without one). Run: {@code java
 * -jar benchmarks/target/benchmarks.jar CudaTierBenchmark -f 1 -wi 3 -i 5 -w 1 -r 1}; {@code
 * scripts/gpu-check.sh} runs it and prints the ratios and the link's bandwidth.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class CudaTierBenchmark {
  @Param({"1", "4", "16", "64"})
  public int mib;

  private long size;
  private Arena arena;
  private MemorySegment src;
  private MemorySegment dst;
  private MemoryLayer layer;
  private final Pointer pinned = new Pointer();
  private final Pointer device = new Pointer();
  private final ArtifactId stored = ArtifactId.of("bench", "stored");
  private final ArtifactId loaded = ArtifactId.of("bench", "loaded");
  private final ArtifactMeta meta = ArtifactMeta.of(ArtifactType.KV_BLOCKS);

  @Setup(Level.Trial)
  public void setUp() {
    ProbeResult probe = LayerProviders.forName("cuda").probe();
    if (!probe.available()) {
      throw new IllegalStateException("CudaTierBenchmark needs a GPU: " + probe.reason());
    }
    size = (long) mib << 20;
    arena = Arena.ofShared();
    src = Payloads.patterned(arena, size);
    dst = Payloads.pretouched(arena, size);
    layer = LayerProviders.forName("cuda").open(LayerSpec.of("gpu", "cuda", Map.of("capacity", 4 * size)));
    layer.put(loaded, meta, src);
    layer.pin(loaded);
    check(JCuda.cudaSetDevice(0), "cudaSetDevice");
    check(JCuda.cudaMallocHost(pinned, size), "cudaMallocHost");
    check(JCuda.cudaMalloc(device, size), "cudaMalloc");
    MemorySegment.copy(src, 0, MemorySegment.ofBuffer(pinned.getByteBuffer(0, size)), 0, size);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    JCuda.cudaFree(device);
    JCuda.cudaFreeHost(pinned);
    layer.close();
    arena.close();
  }

  private static void check(int rc, String call) {
    if (rc != 0) {
      throw new IllegalStateException(call + " failed: " + jcuda.runtime.cudaError.stringFor(rc));
    }
  }

  @Benchmark
  public int pinnedHostToDevice() {
    return JCuda.cudaMemcpy(device, pinned, size, cudaMemcpyKind.cudaMemcpyHostToDevice);
  }

  @Benchmark
  public int pinnedDeviceToHost() {
    return JCuda.cudaMemcpy(pinned, device, size, cudaMemcpyKind.cudaMemcpyDeviceToHost);
  }

  @Benchmark
  public MemoryLayer tierStore() {
    layer.put(stored, meta, src);
    return layer;
  }

  @Benchmark
  public MemorySegment tierLoadInto() {
    try (Lease lease = layer.get(loaded)) {
      lease.copyTo(dst);
    }
    return dst;
  }
}
