package io.stratacache.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ConfigException;
import io.stratacache.engine.StorageEngine;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every configuration error names the file and line, the key path in the general form, the value
 * and what was expected, whether the loader, a provider's declared keys or a provider opening its
 * tier finds it; and a file is checked whole before any tier opens.
 */
class ConfigErrorLocationTest {
  @TempDir Path dir;

  private Path write(String name, String yaml) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, yaml);
    return p;
  }

  private static String message(Path file) {
    return assertThrows(ConfigException.class, () -> StorageEngine.fromFile(file).close()).getMessage();
  }

  @Test
  void misspeltTierSetting_namesItsLineAndIndexedPath() throws Exception {
    Path file = write("typo.yaml", """
        tiers:
          - name: hot
            provider: cpu
            capacity: 2MiB
            pretuch: false
        """);
    String m = message(file);
    assertTrue(m.startsWith(file + ":5: tiers[0].pretuch = false (expected: "), m);
    assertTrue(m.contains("pretouch"), "lists the known keys: " + m);
  }

  @Test
  void misspeltTierSetting_isFoundWhenTheFileIsRead() throws Exception {
    Path file = write("typo-load.yaml", """
        tiers:
          - name: hot
            provider: cpu
            capacity: 2MiB
          - name: warm
            provider: cpu
            capacity: 4MiB
            pretuch: false
        """);
    String m = assertThrows(ConfigException.class, () -> StrataConfig.load(file)).getMessage();
    assertTrue(m.startsWith(file + ":8: tiers[1].pretuch = false (expected: "), m);
  }

  @Test
  void mistypedTierSetting_namesLineValueAndType() throws Exception {
    Path file = write("type.yaml", """
        tiers:
          - name: hot
            provider: cpu
            capacity: 2MiB
            pretouch: maybe
        """);
    assertEquals(file + ":5: tiers[0].pretouch = \"maybe\" (expected: true or false)", message(file));
  }

  @Test
  void outOfRangeTierSetting_namesLineAndRange() throws Exception {
    Path file = write("range.yaml", """
        tiers:
          - name: hot
            provider: cpu
            capacity: 2MiB
            alignment: 3
        """);
    String m = message(file);
    assertTrue(m.startsWith(file + ":5: tiers[0].alignment = 3 (expected: a power of two"), m);
  }

  @Test
  void ssdPathThatIsARegularFile_namesFileLineKeyAndValue() throws Exception {
    Path regular = Files.writeString(dir.resolve("not-a-dir"), "x");
    Path file = write("ssd-file.yaml", """
        tiers:
          - {name: hot, provider: cpu, capacity: 2MiB}
          - name: disk
            provider: ssd
            capacity: 8MiB
            path: %s
        """.formatted(regular));
    String m = message(file);
    assertTrue(m.startsWith(file + ":6: tiers[1].path = \"" + regular + "\" (expected: a directory"), m);
    assertTrue(m.contains("regular file"), m);
    assertFalse(m.contains("Exception"), "no Java exception class names: " + m);
  }

  @Test
  void ssdPathThatCannotBeCreated_namesFileLineKeyAndWhy() throws Exception {
    Path regular = Files.writeString(dir.resolve("plain"), "x");
    Path below = regular.resolve("sub");
    Path file = write("ssd-create.yaml", """
        tiers:
          - {name: hot, provider: cpu, capacity: 2MiB}
          - {name: disk, provider: ssd, capacity: 8MiB, path: %s}
        """.formatted(below));
    String m = message(file);
    assertTrue(m.startsWith(file + ":3: tiers[1].path = \"" + below + "\" (expected: a directory"), m);
    assertTrue(m.contains(regular.toString()) && m.contains("not a directory"), m);
    assertFalse(m.contains("Exception"), "no Java exception class names: " + m);
  }

  @Test
  void aLaterTiersError_isFoundBeforeAnEarlierTierOpens() throws Exception {
    Path ssdDir = dir.resolve("never-created");
    Path file = write("late.yaml", """
        tiers:
          - {name: disk, provider: ssd, capacity: 8MiB, path: %s}
          - {name: hot, provider: cpu, capacity: 2MiB, alignment: 3}
        """.formatted(ssdDir));
    String m = message(file);
    assertTrue(m.startsWith(file + ":3: tiers[1].alignment = 3"), m);
    assertFalse(Files.exists(ssdDir), "the ssd tier was not opened");
  }

  @Test
  void cxlSettingOutOfRange_namesLine() throws Exception {
    Path file = write("cxl.yaml", """
        tiers:
          - {name: hot, provider: cpu, capacity: 2MiB}
          - name: shared
            provider: cxl
            path: %s
            capacity: 4MiB
            max_processes: 0
        """.formatted(dir.resolve("region")));
    String m = message(file);
    assertTrue(m.startsWith(file + ":7: tiers[1].max_processes = 0 (expected: 1 to 4096"), m);
  }
}
