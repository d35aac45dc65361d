package io.stratacache.cli.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/**
 * The machine a report was measured on, as the report states it.
 *
 * @param cpu the processor model ({@code /proc/cpuinfo}'s model name where there is one)
 * @param cores processors available to the JVM
 * @param memoryBytes physical memory
 * @param os operating system name, version and architecture
 * @param jdk the Java runtime's vendor and version
 * @param date when the run started (UTC, to the second)
 * @param loadAverage the system load average over the last minute at the start, or -1 if unknown
 */
public record Machine(String cpu, int cores, long memoryBytes, String os, String jdk, Instant date, double loadAverage) {
  /** This machine, now. */
  public static Machine current() {
    long memory = -1;
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      memory = os.getTotalMemorySize();
    }
    return new Machine(cpuModel(), Runtime.getRuntime().availableProcessors(), memory,
        System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
        System.getProperty("java.vendor") + " " + System.getProperty("java.runtime.version"),
        Instant.now().truncatedTo(ChronoUnit.SECONDS), loadAverageNow());
  }

  /** The load average over the last minute now, or -1 if the system does not say. */
  public static double loadAverageNow() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private static String cpuModel() {
    Path info = Path.of("/proc/cpuinfo");
    if (Files.isReadable(info)) {
      try {
        for (String line : Files.readAllLines(info)) {
          if (line.startsWith("model name") && line.contains(":")) {
            return line.substring(line.indexOf(':') + 1).trim();
          }
        }
      } catch (IOException | RuntimeException e) {
        // fall through to the architecture
      }
    }
    return "unknown " + System.getProperty("os.arch") + " processor";
  }

  /** One line: processor, cores, memory, OS, JDK. */
  public String describe() {
    return String.format(Locale.ROOT, "%s, %d cores, %s memory, %s, JDK %s", cpu, cores,
        memoryBytes < 0 ? "unknown" : String.format(Locale.ROOT, "%.1f GiB", memoryBytes / (double) (1L << 30)), os, jdk);
  }
}
