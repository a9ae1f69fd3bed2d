package dev.groupcast.group.log;

import java.security.SecureRandom;

/**
 * New epochs: random, so a stream that restarts (state lost, expired, or dropped at a merge) never
 * gets a name an earlier one had, whichever node restarts it.
 */
public final class Epochs {

  private static final SecureRandom RANDOM = new SecureRandom();

  private Epochs() {
  }

  public static String next() {
    return Long.toString(RANDOM.nextLong() & Long.MAX_VALUE, 36);
  }
}
