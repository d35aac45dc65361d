package io.stratacache.djl;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.util.Utils;
import java.nio.file.Path;

/**
 * The one place this module reaches DJL's engine: PyTorch on the CPU, offline.
 *
 * <p>The PyTorch natives come from the {@code pytorch-native-cpu} Maven artifact on the class
 * path; DJL extracts them once into its engine cache directory ({@code ~/.djl.ai} unless the
 * {@code ENGINE_CACHE_DIR} system property or environment variable names another) and loads them
 * from there. {@code ai.djl.offline=true} forbids any download: set here before the engine first
 * loads unless the property was set explicitly, so a missing native fails instead of fetching.
 */
public final class DjlRuntime {
  /** The engine this module computes with. */
  public static final String ENGINE = "PyTorch";

  private DjlRuntime() {}

  /** Makes sure {@code ai.djl.offline} is set (to {@code true} unless set otherwise). */
  public static void offline() {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
  }

  /** The PyTorch engine, loading it (offline) on first use. */
  public static Engine engine() {
    offline();
    return Engine.getEngine(ENGINE);
  }

  /** A new root manager on the CPU of the PyTorch engine; the caller closes it. */
  public static NDManager newManager() {
    return NDManager.newBaseManager(Device.cpu(), engine().getEngineName());
  }

  /** Where DJL keeps the extracted PyTorch natives. */
  public static Path nativeCacheDir() {
    return Utils.getEngineCacheDir(ENGINE.toLowerCase(java.util.Locale.ROOT));
  }
}
