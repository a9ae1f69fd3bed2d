package dev.groupcast;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Loads, on a second core while the main thread starts Hazelcast, the classes a node start needs
 * later (Netty's HTTP codec, Vert.x Web, SockJS, Jackson, the gateway): start-up is mostly class
 * loading from the fat jar, and the main thread would otherwise load them one after the other once
 * the cluster is joined. The list ({@value #LIST}) is made by {@code src/bench/preload-classes.sh};
 * a class it names that no longer exists is skipped, so a stale list only costs time, never fails.
 */
final class ClassPreloader {

  static final String LIST = "/META-INF/groupcast/preload-classes.txt";

  private ClassPreloader() {
  }

  /** Starts the loading thread and returns at once; does nothing if the list is not in the jar. */
  static void start() {
    InputStream list = ClassPreloader.class.getResourceAsStream(LIST);
    if (list == null) {
      return;
    }
    Thread thread = new Thread(() -> load(list), "groupcast-preload");
    thread.setDaemon(true);
    thread.setPriority(Thread.MIN_PRIORITY);
    thread.start();
  }

  private static void load(InputStream list) {
    ClassLoader loader = ClassPreloader.class.getClassLoader();
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(list, StandardCharsets.UTF_8))) {
      String name;
      while ((name = lines.readLine()) != null) {
        if (name.isEmpty() || name.startsWith("#")) {
          continue;
        }
        try {
          // loaded, not initialised: static initialisers run where the code first needs them
          Class.forName(name, false, loader);
        } catch (ClassNotFoundException | LinkageError e) {
          // a stale entry: nothing to gain, nothing to fail
        }
      }
    } catch (IOException e) {
      // the list is inside our own jar; a read error only means a slower start
    }
  }
}
