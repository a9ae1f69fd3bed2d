package dev.groupcast.auth;

import java.util.List;
import java.util.regex.Pattern;

/** Group name patterns from a token's {@code groups} claim; {@code *} stands for any run of characters. */
public final class GroupPatterns {

  public static final GroupPatterns ANY = new GroupPatterns(List.of("*"));

  private final Pattern regex;

  public GroupPatterns(List<String> patterns) {
    StringBuilder sb = new StringBuilder();
    for (String p : patterns) {
      if (sb.length() > 0) {
        sb.append('|');
      }
      sb.append("(?:");
      String[] parts = p.split("\\*", -1);
      for (int i = 0; i < parts.length; i++) {
        if (i > 0) {
          sb.append(".*");
        }
        sb.append(Pattern.quote(parts[i]));
      }
      sb.append(')');
    }
    this.regex = patterns.isEmpty() ? null : Pattern.compile(sb.toString());
  }

  public boolean matches(String group) {
    return regex != null && regex.matcher(group).matches();
  }

}
