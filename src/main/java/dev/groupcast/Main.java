package dev.groupcast;

import dev.groupcast.auth.Authenticator;
import dev.groupcast.bench.BenchCommand;
import dev.groupcast.config.ConfigException;
import dev.groupcast.config.ConfigLoader;
import dev.groupcast.config.GroupcastConfig;
import dev.groupcast.config.Role;
import dev.groupcast.net.BindFailure;
import dev.groupcast.net.PortCheck;
import dev.groupcast.logging.LogConfigurator;
import dev.groupcast.logging.ReportedBindFailures;
import io.vertx.core.Handler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import sun.misc.Signal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code java -jar groupcast.jar [run] [-c FILE]}: reads the configuration and starts a node. A bad
 * argument or configuration value is one line on stderr and exit code 2.
 */
public final class Main {

  static final int EXIT_FAILURE = 1;
  static final int EXIT_USAGE = 2;
  static final String NETTY_ALLOCATOR = "io.netty.allocator.type";
  /** Skips the check of the ports before start, so tests can reach the binds themselves. */
  static final String NO_PORT_CHECK = "groupcast.skipPortCheck";

  private static final String USAGE = """
      usage: java -jar groupcast.jar [run] [-c FILE | --conf FILE]   start a node (the default)
             java -jar groupcast.jar bench SCENARIO [options]     load generator (bench --help)
             java -jar groupcast.jar demo [--port P]              3 nodes + a proxy here (demo --help)

        -c, --conf FILE   configuration file (JSON) read over the packed defaults
        -V, --version     the version
        -h, --help        this help

      Every key can also be set with an environment variable: GROUPCAST_ + the key path in upper
      snake case, e.g. http.port -> GROUPCAST_HTTP_PORT.""";

  private Main() {
  }

  private static final String COMMON_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

  /**
   * Hazelcast, like the JDK, runs asynchronous callbacks on {@code ForkJoinPool.commonPool()} only when
   * its parallelism is above 1, and otherwise starts a thread for every callback. The pool's
   * parallelism is the cores minus one: 1 on 2 cores, or in a pod limited to 2. The node's own cluster
   * calls avoid it ({@code ClusterFutures}); this covers the rest (vertx-hazelcast's). Set before any
   * class reads it: the pool is made once, when first used.
   */
  private static void commonPoolOfTwoAtLeast() {
    if (System.getProperty(COMMON_PARALLELISM) == null) {
      System.setProperty(COMMON_PARALLELISM, String.valueOf(Math.max(2, Runtime.getRuntime().availableProcessors() - 1)));
    }
  }

  public static void main(String[] args) {
    commonPoolOfTwoAtLeast();
    if (args.length == 0 || args[0].equals("run") || args[0].equals("demo") || args[0].startsWith("-c")
        || args[0].startsWith("--conf")) {
      ClassPreloader.start();
    }
    System.setProperty("vertx.logger-delegate-factory-class-name", "io.vertx.core.logging.SLF4JLogDelegateFactory");
    System.setProperty("hazelcast.logging.type", "slf4j");
    if (args.length > 0 && args[0].equals("bench")) {
      // the bench's output is its result: only problems are logged
      ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME))
          .setLevel(ch.qos.logback.classic.Level.WARN);
      System.exit(BenchCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length), System.out, System.err));
    }

    if (args.length > 0 && args[0].equals("demo")) {
      int code = DemoCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length), System.out, System.err);
      if (code >= 0) {
        System.exit(code);
      }
      return; // the demo runs until a signal
    }

    Path confFile = null;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "run" -> {
          if (i != 0) {
            usageError("'run' must come first");
          }
        }
        case "-h", "--help" -> {
          System.out.println(USAGE);
          System.exit(0);
        }
        case "-V", "--version" -> {
          System.out.println("groupcast " + version());
          System.exit(0);
        }
        case "-c", "--conf" -> {
          if (i + 1 >= args.length) {
            usageError(arg + " needs a file name");
          }
          confFile = Path.of(args[++i]);
        }
        default -> {
          if (arg.startsWith("--conf=")) {
            confFile = Path.of(arg.substring("--conf=".length()));
          } else {
            usageError("unknown argument: " + arg);
          }
        }
      }
    }

    GroupcastConfig config;
    try {
      config = ConfigLoader.load(confFile, System.getenv());
      Authenticator.checkKeys(config.auth());
      LogConfigurator.useJson(config.log().json());
    } catch (ConfigException e) {
      System.err.println("groupcast: config: " + e.getMessage());
      System.exit(EXIT_USAGE);
      return;
    }
    run(config);
  }

  private static void run(GroupcastConfig config) {
    Logger log = LoggerFactory.getLogger(Main.class);
    if (config.roles().equals(Set.of(Role.PROXY)) && System.getProperty(NETTY_ALLOCATOR) == null) {
      // a proxy reads a buffer and hands it to the other side's write on the same thread: Netty's
      // pooled allocator, with its per-thread caches, costs less CPU per message there than the
      // adaptive one Netty 4.2 defaults to (README, proxy speed); set before Netty reads it
      System.setProperty(NETTY_ALLOCATOR, "pooled");
    }
    String busy = Boolean.getBoolean(NO_PORT_CHECK) ? null : busyPort(config);
    if (busy != null) {
      cannotStart(busy);
    }
    GroupcastNode node;
    ReportedBindFailures quiet = ReportedBindFailures.install();
    try {
      node = GroupcastNode.start(config).await(2, TimeUnit.MINUTES);
      if (quiet != null) {
        quiet.remove();
      }
    } catch (ConfigException e) {
      System.err.println("groupcast: config: " + e.getMessage());
      System.exit(EXIT_USAGE);
      return;
    } catch (BindFailure e) {
      cannotStart(e.getMessage());
      return;
    } catch (Exception e) {
      log.error("groupcast could not start: {}", e.toString());
      System.exit(EXIT_FAILURE);
      return;
    }
    onStopSignal(() -> {
      log.info("stopping node {}", config.node().id());
      try {
        node.close().await(config.shutdown().timeout().toMillis(), TimeUnit.MILLISECONDS);
        return 0;
      } catch (Exception e) {
        log.warn("shutdown did not finish cleanly: {}", e.toString());
        return EXIT_FAILURE;
      }
    });
  }

  /**
   * SIGTERM and SIGINT are the normal way to stop (Kubernetes, Ctrl-C): {@code stop} runs once, on
   * its own thread, and its result is the exit code, not the 143/130 the JVM reports for a signal death.
   */
  static void onStopSignal(Callable<Integer> stop) {
    Thread stopper = new Thread(() -> {
      int code;
      try {
        code = stop.call();
      } catch (Exception e) {
        code = EXIT_FAILURE;
      }
      System.exit(code);
    }, "groupcast-shutdown");
    AtomicBoolean stopping = new AtomicBoolean();
    Handler<Signal> onSignal = sig -> {
      if (stopping.compareAndSet(false, true)) {
        stopper.start();
      }
    };
    Signal.handle(new Signal("TERM"), onSignal::handle);
    Signal.handle(new Signal("INT"), onSignal::handle);
  }

  /**
   * A port is taken: one line naming its key, exit 1, at once. What the start opened is closed without
   * being waited for (the process is going anyway), so nothing can hold the exit up.
   */
  private static void cannotStart(String problem) {
    System.err.println("groupcast: cannot start: " + problem);
    System.err.flush();
    System.exit(EXIT_FAILURE);
  }

  /**
   * The first port the node needs that is taken, as one line naming its key; null when all are free.
   * Checked before anything starts, so the usual mistake costs no cluster join; a port taken between
   * this check and the bind still ends in one line ({@link BindFailure}).
   */
  static String busyPort(GroupcastConfig config) {
    List<String> problems = new ArrayList<>();
    if (config.clustered() && config.cluster().port() != 0) {
      problems.add(PortCheck.problem("cluster.port", config.cluster().host(), config.cluster().port()));
    }
    if (config.clustered() && config.cluster().busPort() != 0) {
      problems.add(PortCheck.problem("cluster.busPort", config.cluster().host(), config.cluster().busPort()));
    }
    // a gateway's clients, or a proxy-only node's health, metrics and dashboard
    problems.add(PortCheck.problem("http.port", config.http().host(), config.http().port()));
    if (config.has(Role.PROXY)) {
      problems.add(PortCheck.problem("proxy.port", "0.0.0.0", config.proxy().port()));
    }
    return problems.stream().filter(java.util.Objects::nonNull).findFirst().orElse(null);
  }

  /** From the jar's manifest; "dev" when run from classes. */
  static String version() {
    String v = Main.class.getPackage().getImplementationVersion();
    return v != null ? v : "dev";
  }

  private static void usageError(String message) {
    System.err.println("groupcast: " + message + " (see --help)");
    System.exit(EXIT_USAGE);
  }
}
