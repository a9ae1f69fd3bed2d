package dev.groupcast.group.log;

import java.util.concurrent.ThreadLocalRandom;

/**
 * New epochs: random, so a stream that restarts (state lost, expired, or dropped at a merge) never
 * gets a name an earlier one had, whichever node restarts it. 63 random bits make a repeat as likely
 * as a collision of two random longs; nothing relies on them being unpredictable (a client is told
 * its group's epoch), so a thread's own generator serves, without the lock a shared
 * {@code SecureRandom} takes: every append carries one, in case it creates the log.
 */
public final class Epochs {

  private Epochs() {
  }

  public static String next() {
    return Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
  }
}
