package dev.groupcast.auth;

/**
 * Who a client is, from its token: {@code user} (the {@code sub} claim) becomes the {@code from} of
 * what it publishes; the patterns say which groups it may join and publish to.
 */
public record Identity(String user, GroupPatterns join, GroupPatterns publish, boolean admin) {

  public boolean mayJoin(String group) {
    return join.matches(group);
  }

  public boolean mayPublish(String group) {
    return publish.matches(group);
  }
}
