package io.stratacache.config;

import java.util.ArrayList;
import java.util.List;

/**
 * A scalar setting outside {@code tiers:} and {@code links:}: one of the core's {@link
 * ConfigKey}s, or a {@link Setting} of a {@link ConfigSection}.
 *
 * @param section the section, or {@code null} for a flat-only core key
 * @param key the key inside the section, or {@code null}
 * @param flat the flat top-level name, or {@code null}
 */
record SettingKey(String section, String key, String flat, ConfigKey core, Setting<?> setting) {
  static SettingKey of(ConfigKey k) {
    return new SettingKey(k.section(), k.key(), k.flat(), k, null);
  }

  static SettingKey of(String section, Setting<?> s) {
    return new SettingKey(section, s.key(), s.flatName(), null, s);
  }

  String path() {
    return section == null ? flat : section + "." + key;
  }

  Object fromYaml(Object raw, Origin origin) {
    return core != null ? core.kind().convert(raw, origin) : setting.fromYaml(raw, origin);
  }

  Object fromText(String text, Origin origin) {
    return core != null ? core.kind().convertText(text, origin) : setting.fromText(text, origin);
  }

  /** The environment variables that override this key: from the flat key and from the path. */
  List<String> envNames() {
    List<String> names = new ArrayList<>(2);
    if (flat != null) {
      names.add(ConfigKey.envName(flat));
    }
    if (section != null && !names.contains(ConfigKey.envName(path()))) {
      names.add(ConfigKey.envName(path()));
    }
    return names;
  }
}
