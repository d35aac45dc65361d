package io.stratacache.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import java.io.IOException;
import java.nio.file.Files;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class DjlRuntimeTest {
  @Test
  void engine_isPyTorch271OfflineWithNativesFromTheMavenArtifact() throws IOException {
    Engine e = DjlRuntime.engine();
    assertEquals("PyTorch", e.getEngineName());
    assertEquals("2.7.1", e.getVersion());
    assertEquals("true", System.getProperty("ai.djl.offline"));
    // The natives were extracted from pytorch-native-cpu (linux-x86_64) into the cache directory.
    try (Stream<java.nio.file.Path> dirs = Files.list(DjlRuntime.nativeCacheDir())) {
      assertTrue(dirs.anyMatch(d -> d.getFileName().toString().startsWith("2.7.1-") && d.getFileName().toString().endsWith("-cpu-linux-x86_64")
          && Files.exists(d.resolve("libtorch_cpu.so"))), "natives under " + DjlRuntime.nativeCacheDir());
    }
  }
}
