package io.stratacache.spi;

import io.stratacache.core.ConfigException;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Where services such as {@link LayerProvider}s are looked for, in order: the class path, the jars
 * of each plugins directory, and a class loader the application gives. A service type is taken
 * from the first place that defines it, so a jar both on the class path and in a plugins directory
 * counts once.
 *
 * <p>Design note: each plugins directory gets one {@link URLClassLoader} over its {@code *.jar}
 * files (sorted by name), whose parent is the class path's loader, so a plugin sees the SPI it
 * implements. The loader is kept for the life of the process (classes of an open layer need it)
 * and shared by every search of the same directory with the same jars.
 */
public final class Plugins {
  private static final ClassLoader CLASS_PATH = Plugins.class.getClassLoader();
  private static final Map<List<Path>, URLClassLoader> DIRECTORY_LOADERS = new ConcurrentHashMap<>();

  /** One place searched: what to call it in messages, and its loader. */
  private record Place(String description, ClassLoader loader, boolean ownTypesOnly) {}

  private final List<Place> places;

  private Plugins(List<Place> places) {
    this.places = List.copyOf(places);
  }

  /** The class path only. */
  public static Plugins classPath() {
    return of(List.of(), null);
  }

  /**
   * The class path, then the jars of each of {@code directories}, then {@code given} (may be
   * {@code null}).
   *
   * @throws ConfigException if a directory is missing, is not a directory or cannot be listed
   */
  public static Plugins of(List<Path> directories, ClassLoader given) {
    Objects.requireNonNull(directories, "directories");
    List<Place> places = new ArrayList<>();
    places.add(new Place("the class path", CLASS_PATH, false));
    for (Path dir : directories) {
      List<Path> jars = jars(Objects.requireNonNull(dir, "directories[" + places.size() + "]"));
      List<String> names = jars.stream().map(j -> j.getFileName().toString()).toList();
      String description = "plugins directory " + dir + " (jars: " + (names.isEmpty() ? "none" : String.join(", ", names)) + ")";
      if (!jars.isEmpty()) {
        places.add(new Place(description, DIRECTORY_LOADERS.computeIfAbsent(jars, Plugins::loaderOf), true));
      } else {
        places.add(new Place(description, null, true));
      }
    }
    if (given != null) {
      places.add(new Place("the class loader given to the builder (" + given + ")", given, false));
    }
    return new Plugins(places);
  }

  /** The {@code *.jar} files of {@code dir}, sorted by name. */
  static List<Path> jars(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new ConfigException("plugins directory " + dir + (Files.exists(dir) ? " is not a directory" : " does not exist")
          + " (expected: a directory of provider jars)");
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".jar") && Files.isRegularFile(f))
          .map(f -> f.toAbsolutePath().normalize()).sorted().toList();
    } catch (IOException e) {
      throw new ConfigException("plugins directory " + dir + " cannot be listed: " + e.getMessage()
          + " (expected: a readable directory of provider jars)", e);
    }
  }

  private static URLClassLoader loaderOf(List<Path> jars) {
    URL[] urls = new URL[jars.size()];
    for (int i = 0; i < urls.length; i++) {
      try {
        urls[i] = jars.get(i).toUri().toURL();
      } catch (MalformedURLException e) {
        throw new ConfigException("plugin jar " + jars.get(i) + " has no URL form: " + e.getMessage(), e);
      }
    }
    return new URLClassLoader("stratacache-plugins", urls, CLASS_PATH);
  }

  /** The places searched, in order, as messages name them (a directory with the jars seen). */
  public List<String> places() {
    return places.stream().map(Place::description).toList();
  }

  /**
   * One instance of each implementation of {@code service} found, with the place it was found in,
   * in search order.
   *
   * @throws ConfigException if an implementation named in a jar cannot be loaded or made
   */
  public <S> List<Found<S>> load(Class<S> service) {
    List<Found<S>> out = new ArrayList<>();
    Set<Class<?>> seen = new HashSet<>();
    for (Place place : places) {
      if (place.loader() == null) {
        continue;
      }
      try {
        for (ServiceLoader.Provider<S> p : ServiceLoader.load(service, place.loader()).stream().toList()) {
          Class<?> type = p.type();
          if ((place.ownTypesOnly() && type.getClassLoader() != place.loader()) || !seen.add(type)) {
            continue;
          }
          out.add(new Found<>(p.get(), place.description()));
        }
      } catch (ServiceConfigurationError e) {
        throw new ConfigException("cannot load a " + service.getSimpleName() + " from " + place.description() + ": "
            + e.getMessage() + " (expected: a jar whose META-INF/services/" + service.getName()
            + " names public classes with a public no-argument constructor)", e);
      }
    }
    return Collections.unmodifiableList(out);
  }

  /**
   * A service implementation and where it was found.
   *
   * @param service the instance
   * @param place the place, as {@link #places()} names it
   */
  public record Found<S>(S service, String place) {}
}
