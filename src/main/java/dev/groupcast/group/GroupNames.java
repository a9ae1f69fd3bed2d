package dev.groupcast.group;

import dev.groupcast.error.ProtocolException;
import dev.groupcast.error.ErrorCode;

/** Group names are 1 to 128 characters of {@code [A-Za-z0-9._:-]}; a group's address is {@code group.<name>}. */
public final class GroupNames {

  public static final String ADDRESS_PREFIX = "group.";
  public static final int MAX_LENGTH = 128;

  private GroupNames() {
  }

  public static boolean isValid(String name) {
    int n = name.length();
    if (n == 0 || n > MAX_LENGTH) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = name.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '.' || c == '_' || c == ':' || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** @throws ProtocolException {@code invalid_group} */
  public static String require(String name) {
    if (!isValid(name)) {
      throw new ProtocolException(ErrorCode.INVALID_GROUP,
          "group names are 1 to 128 characters of A-Z a-z 0-9 . _ : -");
    }
    return name;
  }

  public static String address(String group) {
    return ADDRESS_PREFIX + group;
  }

  /** The group of an event-bus address, or null when the address is not a valid group address. */
  public static String fromAddress(String address) {
    if (!address.startsWith(ADDRESS_PREFIX)) {
      return null;
    }
    String name = address.substring(ADDRESS_PREFIX.length());
    return isValid(name) ? name : null;
  }
}
