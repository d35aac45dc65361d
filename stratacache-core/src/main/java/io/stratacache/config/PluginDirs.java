package io.stratacache.config;

import io.stratacache.config.YamlTree.ListNode;
import io.stratacache.config.YamlTree.Node;
import io.stratacache.config.YamlTree.Scalar;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads {@code plugins:}, the directories whose jars are searched for providers and sections. */
final class PluginDirs {
  private PluginDirs() {}

  /** The directories of {@code plugins: [dir, ...]}, each checked to be a directory. */
  static List<Path> read(Node node, Path baseDir) {
    if (node == null || node instanceof Scalar s && s.value() == null) {
      return List.of();
    }
    String expected = "a list of directories holding provider jars, e.g. [plugins, /opt/stratacache/plugins]";
    if (!(node instanceof ListNode list)) {
      throw node.origin().error(node.plain(), expected);
    }
    List<Path> dirs = new ArrayList<>();
    for (Node item : list.items()) {
      if (!(item instanceof Scalar s && s.value() instanceof String text) || text.isBlank()) {
        throw item.origin().error(item.plain(), "a directory holding provider jars");
      }
      Path dir;
      try {
        dir = Path.of(text.equals("~") || text.startsWith("~/") ? System.getProperty("user.home") + text.substring(1) : text);
      } catch (InvalidPathException e) {
        throw item.origin().error(text, "a directory holding provider jars (" + e.getReason() + ")");
      }
      if (!dir.isAbsolute() && baseDir != null) {
        dir = baseDir.resolve(dir);
      }
      dir = dir.normalize();
      if (!Files.isDirectory(dir)) {
        throw item.origin().error(text, "a directory holding provider jars; " + dir
            + (Files.exists(dir) ? " is not a directory" : " does not exist"));
      }
      dirs.add(dir);
    }
    return List.copyOf(dirs);
  }
}
