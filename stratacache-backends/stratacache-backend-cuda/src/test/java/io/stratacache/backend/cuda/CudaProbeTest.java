package io.stratacache.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.stratacache.core.LayerUnavailableException;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.ProbeResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The probe on a machine without a GPU, and how it words each reason. */
class CudaProbeTest {
  /** Whether this machine has an NVIDIA driver loaded (its kernel module publishes this file). */
  static boolean driverHere() {
    return Files.exists(Path.of("/proc/driver/nvidia/version"));
  }

  @Test
  void withoutADriverTheProviderIsUnavailableNamingTheMissingLibrary() {
    assumeFalse(driverHere(), "an NVIDIA driver is loaded here; this test is for machines without one");
    ProbeResult probe = LayerProviders.forName("cuda").probe();
    assertFalse(probe.available());
    assertTrue(probe.reason().startsWith("no NVIDIA driver: the driver library libcuda.so.1 cannot be loaded ("),
        probe.reason());
    assertFalse(probe.reason().contains("\n"), "one line: " + probe.reason());
    assertEquals(probe, new CudaLayerProvider().probe(), "probed once per process");
  }

  @Test
  void openingWithoutADriverFailsWithTheProbesReason() {
    assumeFalse(driverHere(), "an NVIDIA driver is loaded here; this test is for machines without one");
    LayerUnavailableException e = assertThrows(LayerUnavailableException.class,
        () -> LayerProviders.forName("cuda").open(LayerSpec.of("gpu", "cuda", Map.of("capacity", "64MiB"))));
    assertEquals("cuda tier 'gpu': " + new CudaLayerProvider().probe().reason(), e.getMessage());
  }

  @Test
  void aLinkageErrorNamingLibcudaMeansNoDriver() {
    String reason = CudaDevice.libraryProblem(new UnsatisfiedLinkError("Error while loading native library"
        + " \"JCudaDriver-12.6.0-linux-x86_64\"\nStack trace:\n  /tmp/libJCudaDriver.so: libcuda.so.1: cannot open shared"
        + " object file: No such file or directory\n"));
    assertEquals("no NVIDIA driver: the driver library libcuda.so.1 cannot be loaded (/tmp/libJCudaDriver.so:"
        + " libcuda.so.1: cannot open shared object file: No such file or directory; expected: the NVIDIA driver installed"
        + " on this machine; JCuda links the CUDA runtime statically, so the driver is all it needs)", reason);
  }

  @Test
  void anyOtherLinkageErrorMeansTheLibraryCannotBeLoaded() {
    String reason = CudaDevice.libraryProblem(new UnsatisfiedLinkError("no JCudaDriver-12.6.0-linux-aarch64 in path\nmore"));
    assertEquals("the JCuda native library cannot be loaded (no JCudaDriver-12.6.0-linux-aarch64 in path; expected:"
        + " Linux on x86-64 with org.jcuda:jcuda-natives:linux-x86_64 on the class path)", reason);
  }
}
