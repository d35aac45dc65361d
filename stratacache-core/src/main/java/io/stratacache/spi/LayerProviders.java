package io.stratacache.spi;

import io.stratacache.core.ConfigException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The {@link LayerProvider}s found in a set of {@link Plugins} places: by default the class path,
 * found once, lazily, with {@link java.util.ServiceLoader}. Provider names are plain ASCII and
 * unique across every place searched.
 */
public final class LayerProviders {
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,31}");

  private final Map<String, LayerProvider> byName;
  private final Map<String, String> placeOf;
  private final List<String> places;

  private LayerProviders(Map<String, LayerProvider> byName, Map<String, String> placeOf, List<String> places) {
    this.byName = Collections.unmodifiableMap(byName);
    this.placeOf = Collections.unmodifiableMap(placeOf);
    this.places = places;
  }

  private static final class Holder {
    static final LayerProviders CLASS_PATH = in(Plugins.classPath());
  }

  /**
   * The providers in {@code plugins}' places.
   *
   * @throws ConfigException if a provider's name is not plain lower-case ASCII, or two providers
   *     share a name (naming both classes and where each was found)
   */
  public static LayerProviders in(Plugins plugins) {
    Objects.requireNonNull(plugins, "plugins");
    Map<String, LayerProvider> byName = new TreeMap<>();
    Map<String, String> placeOf = new LinkedHashMap<>();
    for (Plugins.Found<LayerProvider> f : plugins.load(LayerProvider.class)) {
      LayerProvider p = f.service();
      String name = p.name();
      if (name == null || !NAME.matcher(name).matches()) {
        throw new ConfigException(
            "layer provider " + p.getClass().getName() + " (from " + f.place() + ") has name \"" + name
                + "\" (expected: lower-case ASCII letters, digits and '-', starting with a letter)");
      }
      LayerProvider previous = byName.putIfAbsent(name, p);
      if (previous != null) {
        throw new ConfigException(
            "two layer providers are named \"" + name + "\": " + previous.getClass().getName() + " (from "
                + placeOf.get(name) + ") and " + p.getClass().getName() + " (from " + f.place()
                + ") (expected: one jar per provider name)");
      }
      placeOf.put(name, f.place());
    }
    return new LayerProviders(byName, placeOf, plugins.places());
  }

  /** The providers on the class path. */
  public static LayerProviders onClassPath() {
    return Holder.CLASS_PATH;
  }

  /** Every provider on the class path, by name. */
  public static Map<String, LayerProvider> all() {
    return Holder.CLASS_PATH.byName;
  }

  /**
   * The provider on the class path called {@code name}.
   *
   * @throws ConfigException listing the available providers if none is called {@code name}
   */
  public static LayerProvider forName(String name) {
    return Holder.CLASS_PATH.get(name);
  }

  /** Every provider found, by name. */
  public Map<String, LayerProvider> providers() {
    return byName;
  }

  /** The places searched, in order, as {@link Plugins#places()} names them. */
  public List<String> places() {
    return places;
  }

  /**
   * The provider called {@code name}.
   *
   * @throws ConfigException if there is none, naming {@link #missing(String) what was searched}
   */
  public LayerProvider get(String name) {
    LayerProvider p = byName.get(Objects.requireNonNull(name, "name"));
    if (p == null) {
      throw new ConfigException("no layer provider named \"" + name + "\" (" + missing(name) + ")");
    }
    return p;
  }

  /**
   * What to say when no provider is called {@code name}: the providers found and where, every
   * place searched, and the fix.
   */
  public String missing(String name) {
    StringBuilder found = new StringBuilder();
    placeOf.forEach((n, place) -> found.append(found.isEmpty() ? "" : ", ").append(n).append(" from ").append(place));
    return "expected: one of the providers found: " + (found.isEmpty() ? "none" : found) + "; searched: "
        + String.join("; ", places) + "; add the backend's jar (e.g. stratacache-backend-" + name
        + ") to the class path or to a directory named under plugins:";
  }
}
