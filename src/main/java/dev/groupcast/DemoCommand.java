package dev.groupcast;

import dev.groupcast.config.ConfigException;
import dev.groupcast.config.ConfigLoader;
import dev.groupcast.config.GroupcastConfig;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code groupcast demo [--port P]}: a whole cluster on this machine in one process, to try it: three
 * gateway nodes on P+1..P+3 (node demo-1 also runs the proxy, on P) joined over Hazelcast on
 * 127.0.0.1, then the URLs to open. Ctrl-C stops it.
 */
final class DemoCommand {

  static final int DEFAULT_PORT = 8000;
  static final int NODES = 3;
  static final String USAGE = """
      usage: java -jar groupcast.jar demo [--port P]

        starts 3 nodes and a proxy on this machine and prints the URLs to open:
        the proxy listens on P (default 8000), the nodes on P+1..P+3, their cluster ports are
        P+101..P+103; everything binds 127.0.0.1. Ctrl-C stops it.""";

  private static final Logger log = LoggerFactory.getLogger(DemoCommand.class);

  private DemoCommand() {
  }

  /** Parses the arguments; returns the exit code for bad ones, or -1 when the demo runs. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    int port = DEFAULT_PORT;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("-h") || arg.equals("--help")) {
        out.println(USAGE);
        return 0;
      }
      String value;
      if (arg.equals("--port") && i + 1 < args.length) {
        value = args[++i];
      } else if (arg.startsWith("--port=")) {
        value = arg.substring("--port=".length());
      } else {
        err.println("groupcast demo: " + (arg.equals("--port") ? "--port needs a number" : "unknown argument: " + arg)
            + " (see demo --help)");
        return Main.EXIT_USAGE;
      }
      try {
        port = Integer.parseInt(value);
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (port < 1 || port > 65535 - 103) {
        err.println("groupcast demo: --port " + value + ": must be a port from 1 to 65432");
        return Main.EXIT_USAGE;
      }
    }
    List<GroupcastConfig> configs = new ArrayList<>();
    try {
      for (int n = 1; n <= NODES; n++) {
        configs.add(ConfigLoader.load(null, env(port, n)));
      }
    } catch (ConfigException e) {
      err.println("groupcast demo: config: " + e.getMessage());
      return Main.EXIT_USAGE;
    }
    for (GroupcastConfig c : configs) {
      String busy = Main.busyPort(c); // demo-1's config has the proxy port
      if (busy != null) {
        err.println("groupcast demo: cannot start: " + busy + " (choose other ports with --port)");
        return Main.EXIT_FAILURE;
      }
    }
    List<Future<GroupcastNode>> starting = new ArrayList<>();
    configs.forEach(c -> starting.add(GroupcastNode.start(c)));
    List<GroupcastNode> nodes = new ArrayList<>();
    try {
      Future.all(starting).await(2, TimeUnit.MINUTES);
      starting.forEach(f -> nodes.add(f.result()));
    } catch (Exception e) {
      err.println("groupcast demo: could not start: " + e);
      starting.stream().filter(Future::succeeded).forEach(f -> f.result().close());
      return Main.EXIT_FAILURE;
    }
    String base = "http://127.0.0.1:";
    out.println();
    out.println("groupcast demo: " + NODES + " nodes and a proxy are running on this machine.");
    out.println("  demo page, through the proxy:  " + base + port + "/");
    out.println("  admin dashboard:               " + base + port + "/admin/");
    out.println("  metrics (node demo-1):         " + base + (port + 1) + "/metrics");
    StringBuilder direct = new StringBuilder();
    for (int n = 1; n <= NODES; n++) {
      direct.append(n > 1 ? "  " : "").append(base).append(port + n).append('/');
    }
    out.println("  each node directly:            " + direct);
    out.println("Open the demo page in two tabs, join the same group and publish. Ctrl-C stops the demo.");
    out.flush();
    Main.onStopSignal(() -> {
      log.info("stopping the demo");
      Future.join(nodes.stream().map(GroupcastNode::close).toList()).await(30, TimeUnit.SECONDS);
      return 0;
    });
    return -1;
  }

  private static Map<String, String> env(int port, int n) {
    Map<String, String> env = new HashMap<>();
    env.put("GROUPCAST_NODE_ID", "demo-" + n);
    env.put("GROUPCAST_ROLES", n == 1 ? "gateway,proxy" : "gateway");
    env.put("GROUPCAST_HTTP_HOST", "127.0.0.1");
    env.put("GROUPCAST_HTTP_PORT", String.valueOf(port + n));
    env.put("GROUPCAST_CLUSTER_NAME", "groupcast-demo");
    env.put("GROUPCAST_CLUSTER_HOST", "127.0.0.1");
    env.put("GROUPCAST_CLUSTER_PORT", String.valueOf(port + 100 + n));
    env.put("GROUPCAST_CLUSTER_MEMBERS", "127.0.0.1:" + (port + 101) + ",127.0.0.1:" + (port + 102)
        + ",127.0.0.1:" + (port + 103));
    env.put("GROUPCAST_PROXY_PORT", String.valueOf(port));
    env.put("GROUPCAST_SHUTDOWN_DRAIN_DELAY", "1ms");
    return env;
  }
}
