package io.stratacache.config;

import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.stratacache.core.ConfigException;
import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML document read into a small tree whose every node knows its key path and line, so that
 * any later error can name both. Scalars are {@link String}, {@link Long} (or {@link BigInteger}
 * beyond 64 bits), {@link Double}, {@link Boolean} or {@code null}, as YAML 1.1 types them.
 *
 * <p>Refused with a {@link ConfigException}: an empty document, a document that is not a
 * mapping, more than one document, a key given twice in one mapping, and aliases ({@code *name},
 * which the streaming parser cannot resolve).
 */
final class YamlTree {
  // an empty plain scalar ("key:" with nothing after it) is null, as YAML 1.1 says; '' stays ""
  private static final YAMLFactory FACTORY =
      YAMLFactory.builder().enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL).build();

  private YamlTree() {}

  /** A node of the tree. */
  sealed interface Node permits MapNode, ListNode, Scalar {
    Origin origin();

    /** The value as plain Java objects: maps, lists and scalars. */
    Object plain();
  }

  /** A mapping; keys keep their order. */
  record MapNode(Origin origin, Map<String, Node> entries) implements Node {
    @Override
    public Object plain() {
      Map<String, Object> m = new LinkedHashMap<>();
      entries.forEach((k, v) -> m.put(k, v.plain()));
      return Collections.unmodifiableMap(m);
    }
  }

  /** A sequence. */
  record ListNode(Origin origin, List<Node> items) implements Node {
    @Override
    public Object plain() {
      return items.stream().map(Node::plain).toList();
    }
  }

  /** A scalar, possibly {@code null}. */
  record Scalar(Origin origin, Object value) implements Node {
    @Override
    public Object plain() {
      return value;
    }
  }

  /**
   * Reads {@code text}, a YAML document whose top level is a mapping.
   *
   * @throws ConfigException naming {@code source} and the line for anything that is not that
   */
  static MapNode read(String text, String source) {
    try (YAMLParser p = FACTORY.createParser(text)) {
      if (p.nextToken() == null) {
        throw new ConfigException(
            source + ": the file is empty (expected: a YAML mapping of settings such as tiers: and kv:; see config.yaml)");
      }
      Node root = value(p, new Origin(source, "", line(p)));
      if (p.nextToken() != null) {
        throw new ConfigException(source + ":" + line(p) + ": a second YAML document (expected: one document)");
      }
      if (!(root instanceof MapNode map)) {
        throw new ConfigException(
            source + ":" + root.origin().line() + ": the document is " + Origin.render(root.plain())
                + " (expected: a YAML mapping of settings such as tiers: and kv:)");
      }
      return map;
    } catch (StreamReadException e) {
      int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
      throw new ConfigException(
          source + (line > 0 ? ":" + line : "") + ": not valid YAML: " + e.getOriginalMessage().strip(), e);
    } catch (IOException e) {
      throw new ConfigException(source + ": cannot read YAML: " + e.getMessage(), e);
    }
  }

  private static int line(YAMLParser p) {
    return p.currentTokenLocation().getLineNr();
  }

  private static Node value(YAMLParser p, Origin origin) throws IOException {
    if (p.isCurrentAlias()) {
      throw new ConfigException(
          origin.where() + " is the alias *" + p.getText() + " (expected: the value written out; aliases are not supported)");
    }
    JsonToken t = p.currentToken();
    return switch (t) {
      case START_OBJECT -> mapping(p, origin);
      case START_ARRAY -> sequence(p, origin);
      case VALUE_STRING -> new Scalar(origin, p.getText());
      case VALUE_NUMBER_INT -> {
        Number n = p.getNumberValue();
        yield new Scalar(origin, n instanceof BigInteger b ? b : (Object) n.longValue());
      }
      case VALUE_NUMBER_FLOAT -> new Scalar(origin, p.getDoubleValue());
      case VALUE_TRUE -> new Scalar(origin, Boolean.TRUE);
      case VALUE_FALSE -> new Scalar(origin, Boolean.FALSE);
      case VALUE_NULL -> new Scalar(origin, null);
      default -> throw new ConfigException(
          origin.where() + " is a YAML " + t + " (expected: a mapping, a list, a string, a number or a boolean)");
    };
  }

  private static MapNode mapping(YAMLParser p, Origin origin) throws IOException {
    Map<String, Node> entries = new LinkedHashMap<>();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      Origin child = origin.child(name, line(p));
      Node previous = entries.get(name);
      if (previous != null) {
        throw new ConfigException(
            child.where() + " is set twice (expected: once; first set on line " + previous.origin().line() + ")");
      }
      p.nextToken();
      entries.put(name, value(p, child));
    }
    return new MapNode(origin, Collections.unmodifiableMap(entries));
  }

  private static ListNode sequence(YAMLParser p, Origin origin) throws IOException {
    List<Node> items = new ArrayList<>();
    while (p.nextToken() != JsonToken.END_ARRAY) {
      items.add(value(p, origin.item(items.size(), line(p))));
    }
    return new ListNode(origin, Collections.unmodifiableList(items));
  }
}
