package io.stratacache.config;

import io.stratacache.core.io.PrivateFiles;
import io.stratacache.spi.LayerSpec;
import java.util.List;

/**
 * The {@code mode} and {@code group} settings that every durable tier (one that writes files or
 * regions) declares, read into a {@link PrivateFiles}. Without them a tier's files are {@code 0600}
 * and its directories {@code 0700}; a tier shared by several users on purpose sets {@code mode}
 * (such as {@code "0660"}) and {@code group}.
 */
public final class FileAccessSettings {
  /** The tier keys these settings use. */
  public static final List<String> KEYS = List.of("mode", "group");

  private FileAccessSettings() {}

  /** The settings, for a tier's {@link ConfigSection#settings()}. */
  public static List<Setting<?>> settings() {
    return List.of(Setting.string("mode", "0600"), Setting.string("group", null));
  }

  /**
   * Reads the {@code mode} and {@code group} settings of {@code spec}.
   *
   * @throws io.stratacache.core.ConfigException naming the key, the value and what was expected
   */
  public static PrivateFiles read(LayerSpec spec) {
    Object rawMode = spec.settings().get("mode");
    if (rawMode != null && !(rawMode instanceof String)) {
      throw spec.error("mode", rawMode,
          "an octal file mode in quotes, such as \"0600\" or \"0660\" (unquoted, YAML reads it as a number)");
    }
    String mode = (String) rawMode;
    String group = spec.string("group", null);
    String problem = mode == null ? null : PrivateFiles.modeProblem(mode);
    if (problem != null) {
      throw spec.error("mode", mode, problem);
    }
    problem = group == null ? null : PrivateFiles.groupProblem(group);
    if (problem != null) {
      throw spec.error("group", group, problem);
    }
    return PrivateFiles.of(mode, group);
  }
}
