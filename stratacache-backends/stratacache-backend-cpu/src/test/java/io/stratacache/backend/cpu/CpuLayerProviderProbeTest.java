package io.stratacache.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.LayerUnavailableException;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.ProbeResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The probe, seen from JVMs started with and without native access. */
class CpuLayerProviderProbeTest {
  @Test
  void withoutNativeAccess_probeIsUnavailable_andNamesTheFlag_andOpenRefuses() throws Exception {
    List<String> out = runProbe(false);
    assertEquals("available=false", out.get(0), String.join("\n", out));
    assertTrue(out.get(1).contains("start java with --enable-native-access=ALL-UNNAMED"), out.get(1));
    assertTrue(out.get(1).contains("Enable-Native-Access: ALL-UNNAMED"), out.get(1));
    assertTrue(out.get(2).startsWith("open=tier 'hot' (cpu): native access is not enabled"), out.get(2));
  }

  @Test
  void withNativeAccess_probeIsAvailable_andOpenWorks() throws Exception {
    List<String> out = runProbe(true);
    assertEquals(List.of("available=true", "reason=available", "open=ok"), out.subList(0, 3));
  }

  private static List<String> runProbe(boolean nativeAccess) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElseThrow());
    if (nativeAccess) {
      cmd.add("--enable-native-access=ALL-UNNAMED");
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "probe JVM did not exit");
    assertEquals(0, p.exitValue(), text);
    return text.lines().toList();
  }

  /** Prints what the provider says, one fact a line. */
  static final class Main {
    private Main() {}

    public static void main(String[] args) {
      CpuLayerProvider provider = new CpuLayerProvider();
      ProbeResult r = provider.probe();
      System.out.println("available=" + r.available());
      System.out.println("reason=" + r.reason());
      try {
        provider.open(LayerSpec.of("hot", "cpu", Map.of("capacity", 1 << 20))).close();
        System.out.println("open=ok");
      } catch (LayerUnavailableException e) {
        System.out.println("open=" + e.getMessage());
      }
    }
  }
}
