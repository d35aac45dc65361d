package io.stratacache.config;

import io.stratacache.spi.LayerSpec;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * One key of a {@link ConfigSection}: its name, type, default, an optional range check, and an
 * optional flat top-level name from the original StrataCache. Immutable; {@link #check} and
 * {@link #flat} return copies.
 *
 * <pre>{@code
 * static final Setting<Integer> CHUNK_SIZE =
 *     Setting.integer("chunk_size", 256).check(n -> n > 0, "a positive number of tokens, e.g. 256").flat("chunk_size");
 * }</pre>
 *
 * <p>Types, as YAML writes them (a tier's settings also accept the text forms {@link LayerSpec}
 * reads, such as {@code "true"} or {@code "4096"}): {@link #bool} {@code true}/{@code false};
 * {@link #integer} a whole number that fits an {@code int}; {@link #number} any number; {@link
 * #size} whole bytes or a size such as {@code 512MiB}; {@link #millis} whole milliseconds; {@link
 * #string} text; {@link #path} a non-blank path ({@code ~/} is the home directory); {@link
 * #choice} one of a fixed list of words.
 *
 * @param <T> the value's type: {@link Boolean}, {@link Integer}, {@link Double}, {@link Long}
 *     bytes, {@link Duration} or {@link String}
 */
public final class Setting<T> {
  /** How a YAML scalar becomes a value. */
  enum Type {
    BOOL(ConfigKey.Kind.BOOL),
    INT(ConfigKey.Kind.INT),
    NUMBER(ConfigKey.Kind.NUMBER),
    SIZE(ConfigKey.Kind.SIZE),
    MILLIS(ConfigKey.Kind.MILLIS),
    STRING(ConfigKey.Kind.STRING),
    PATH(ConfigKey.Kind.STRING),
    CHOICE(ConfigKey.Kind.STRING);

    final ConfigKey.Kind kind;

    Type(ConfigKey.Kind kind) {
      this.kind = kind;
    }
  }

  private final String key;
  private final Type type;
  private final T defaultValue;
  private final List<String> choices;
  private final Predicate<? super T> check;
  private final String expected;
  private final String flat;

  private Setting(String key, Type type, T defaultValue, List<String> choices, Predicate<? super T> check, String expected,
      String flat) {
    this.key = key;
    this.type = type;
    this.defaultValue = defaultValue;
    this.choices = choices;
    this.check = check;
    this.expected = expected;
    this.flat = flat;
  }

  private static <T> Setting<T> of(String key, Type type, T dflt, List<String> choices) {
    Objects.requireNonNull(key, "key");
    if (!key.matches("[a-z][a-z0-9_]*")) {
      throw new IllegalArgumentException("key \"" + key + "\" (expected: lower-case ASCII letters, digits and '_')");
    }
    return new Setting<>(key, type, dflt, choices, null, null, null);
  }

  /** {@code true} or {@code false}. */
  public static Setting<Boolean> bool(String key, boolean dflt) {
    return of(key, Type.BOOL, dflt, List.of());
  }

  /** A whole number that fits an {@code int}; {@code dflt} may be {@code null} (no default). */
  public static Setting<Integer> integer(String key, Integer dflt) {
    return of(key, Type.INT, dflt, List.of());
  }

  /** Any number. */
  public static Setting<Double> number(String key, Double dflt) {
    return of(key, Type.NUMBER, dflt, List.of());
  }

  /** Bytes: a whole number or a size such as {@code 512MiB}. */
  public static Setting<Long> size(String key, Long dflt) {
    return of(key, Type.SIZE, dflt, List.of());
  }

  /** Whole milliseconds, read as a {@link Duration}. */
  public static Setting<Duration> millis(String key, Duration dflt) {
    return of(key, Type.MILLIS, dflt, List.of());
  }

  /** Text. */
  public static Setting<String> string(String key, String dflt) {
    return of(key, Type.STRING, dflt, List.of());
  }

  /** A file system path, as text. */
  public static Setting<String> path(String key, String dflt) {
    return of(key, Type.PATH, dflt, List.of());
  }

  /** One of {@code choices}. */
  public static Setting<String> choice(String key, String dflt, String... choices) {
    List<String> list = List.of(choices);
    if (list.isEmpty() || (dflt != null && !list.contains(dflt))) {
      throw new IllegalArgumentException("choices " + list + " with default \"" + dflt + "\" (expected: the default among them)");
    }
    return of(key, Type.CHOICE, dflt, list);
  }

  /** A copy that also requires {@code ok}; {@code expected} says what passes, e.g. {@code "1 to 4096"}. */
  public Setting<T> check(Predicate<? super T> ok, String expected) {
    Objects.requireNonNull(ok, "ok");
    Objects.requireNonNull(expected, "expected");
    if (check != null) {
      throw new IllegalStateException("setting " + key + " already has a check (" + this.expected + ")");
    }
    return new Setting<>(key, type, defaultValue, choices, ok, expected, flat);
  }

  /** A copy that may also be written as top-level key {@code flatName} (sections only). */
  public Setting<T> flat(String flatName) {
    Objects.requireNonNull(flatName, "flatName");
    return new Setting<>(key, type, defaultValue, choices, check, expected, flatName);
  }

  /** The key inside its section or tier. */
  public String key() {
    return key;
  }

  /** The default, or {@code null} if there is none. */
  public T defaultValue() {
    return defaultValue;
  }

  /** The original StrataCache's flat name, or {@code null}. */
  public String flatName() {
    return flat;
  }

  /** What a value must be, as messages say it. */
  public String expected() {
    if (expected != null) {
      return expected;
    }
    return type == Type.CHOICE ? "one of " + choices : type == Type.PATH ? "a path" : type.kind.expected();
  }

  ConfigKey.Kind kind() {
    return type.kind;
  }

  /** Converts a YAML scalar and checks it; errors name {@code origin}. */
  @SuppressWarnings("unchecked")
  T fromYaml(Object raw, Origin origin) {
    return accept((T) type.kind.convert(raw, origin), raw, origin);
  }

  /** Converts the text of an environment variable and checks it. */
  @SuppressWarnings("unchecked")
  T fromText(String text, Origin origin) {
    return accept((T) type.kind.convertText(text, origin), text, origin);
  }

  private T accept(T value, Object raw, Origin origin) {
    if (type == Type.CHOICE && !choices.contains(value)) {
      throw origin.error(raw, "one of " + choices);
    }
    if (type == Type.PATH && ((String) value).isBlank()) {
      throw origin.error(raw, "a path");
    }
    if (check != null && !check.test(value)) {
      throw origin.error(value, expected);
    }
    return value;
  }

  /** Reads this key of {@code spec} as its provider will, and checks it; absent keys pass. */
  @SuppressWarnings("unchecked")
  void checkIn(LayerSpec spec) {
    if (!spec.has(key)) {
      return;
    }
    Object raw = spec.settings().get(key);
    Object value = switch (type) {
      case BOOL -> spec.bool(key, false);
      case INT -> {
        long n = spec.integer(key, 0);
        if (n != (int) n) {
          throw spec.error(key, raw, "an integer of at most " + Integer.MAX_VALUE);
        }
        yield (int) n;
      }
      case NUMBER -> spec.number(key, 0);
      case SIZE -> spec.bytes(key, 0);
      case MILLIS -> Duration.ofMillis(spec.integer(key, 0));
      case STRING -> spec.string(key, null);
      case PATH -> {
        spec.path(key, null);
        yield spec.string(key, null);
      }
      case CHOICE -> {
        String s = spec.string(key, null);
        if (!choices.contains(s)) {
          throw spec.error(key, raw, "one of " + choices);
        }
        yield s;
      }
    };
    if (check != null && !check.test((T) value)) {
      throw spec.error(key, raw, expected);
    }
  }

  @Override
  public String toString() {
    return key + " (" + expected() + (defaultValue == null ? "" : ", default " + defaultValue) + ")";
  }
}
