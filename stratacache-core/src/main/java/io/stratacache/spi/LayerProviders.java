package io.stratacache.spi;

import io.stratacache.core.ConfigException;
import java.util.Collections;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The {@link LayerProvider}s on the class path, found once, lazily, with {@link ServiceLoader}.
 */
public final class LayerProviders {
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,31}");

  private LayerProviders() {}

  private static final class Holder {
    static final Map<String, LayerProvider> PROVIDERS = load(LayerProviders.class.getClassLoader());
  }

  static Map<String, LayerProvider> load(ClassLoader loader) {
    Map<String, LayerProvider> byName = new TreeMap<>();
    for (LayerProvider p : ServiceLoader.load(LayerProvider.class, loader)) {
      String name = p.name();
      if (name == null || !NAME.matcher(name).matches()) {
        throw new ConfigException(
            "layer provider " + p.getClass().getName() + " has name \"" + name
                + "\" (expected: lower-case ASCII letters, digits and '-', starting with a letter)");
      }
      LayerProvider previous = byName.putIfAbsent(name, p);
      if (previous != null) {
        throw new ConfigException(
            "two layer providers are named \"" + name + "\": " + previous.getClass().getName() + " and "
                + p.getClass().getName() + " (expected: one jar per provider name on the class path)");
      }
    }
    return Collections.unmodifiableMap(byName);
  }

  /** Every provider found, by name. */
  public static Map<String, LayerProvider> all() {
    return Holder.PROVIDERS;
  }

  /**
   * The provider called {@code name}.
   *
   * @throws ConfigException listing the available providers if none is called {@code name}
   */
  public static LayerProvider forName(String name) {
    LayerProvider p = Holder.PROVIDERS.get(name);
    if (p == null) {
      throw new ConfigException(
          "no layer provider named \"" + name + "\" (available: " + Holder.PROVIDERS.keySet()
              + "); add the backend's jar (e.g. stratacache-backend-" + name + ") to the class path");
    }
    return p;
  }
}
