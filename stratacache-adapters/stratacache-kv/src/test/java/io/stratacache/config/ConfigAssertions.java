package io.stratacache.config;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ConfigException;
import java.util.Map;
import org.junit.jupiter.api.function.Executable;

/** Assertions shared by the configuration tests. */
final class ConfigAssertions {
  /** The source name the tests parse YAML under. */
  static final String SRC = "test.yaml";

  private ConfigAssertions() {}

  /** Parses {@code yaml} as file {@value #SRC}. */
  static StrataConfig yaml(String yaml) {
    return StrataConfig.parse(yaml, SRC);
  }

  /** Parses {@code yaml} as file {@value #SRC} with environment {@code env}. */
  static StrataConfig yaml(String yaml, Map<String, String> env) {
    return ConfigLoader.parse(yaml, SRC, env);
  }

  /** Asserts {@code call} throws a {@link ConfigException} whose message has every fragment. */
  static String assertConfigError(Executable call, String... fragments) {
    ConfigException e = assertThrows(ConfigException.class, call);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), () -> "message lacks <" + f + ">: " + e.getMessage());
    }
    return e.getMessage();
  }

  /** Asserts parsing {@code yaml} fails with exactly {@code message}. */
  static void assertYamlError(String yaml, String message) {
    ConfigException e = assertThrows(ConfigException.class, () -> yaml(yaml));
    org.junit.jupiter.api.Assertions.assertEquals(message, e.getMessage());
  }
}
