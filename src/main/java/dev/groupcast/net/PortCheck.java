package dev.groupcast.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Checks before start that the ports a node needs are free, so that the common mistake (a second
 * node on the same ports) is one clear line instead of Hazelcast's and Netty's stack traces.
 */
public final class PortCheck {

  private PortCheck() {
  }

  /** @return null when the port can be bound, else a one-line reason naming the key */
  public static String problem(String key, String host, int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(host, port));
      return null;
    } catch (IOException e) {
      return key + " " + port + " on " + host + " is not available (" + e.getMessage() + ")";
    }
  }
}
