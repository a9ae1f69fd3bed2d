package dev.groupcast.bench;

import dev.groupcast.config.Durations;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What {@code groupcast bench SCENARIO [options]} was asked to do. Every option has a default, so
 * {@code bench fanout} alone runs against a local node; a bad value is one line and exit code 2.
 */
public record BenchOptions(
    Scenario scenario,
    List<URI> urls,
    Protocol protocol,
    int connections,
    int inflight,
    int size,
    Duration duration,
    Duration warmup,
    int subscribers,
    int groups,
    int publishers,
    int messages,
    int rate,
    boolean json) {

  public enum Scenario { ECHO, FANOUT, CONNECTIONS }

  /** How the bench speaks to the server: groupcast's frames, or Socket.IO (engine.io v4) for comparisons. */
  public enum Protocol { GROUPCAST, SOCKETIO }

  public static final String USAGE = """
      usage: java -jar groupcast.jar bench SCENARIO [options]

      scenarios:
        echo          C connections each keeping W messages in flight through an echo URL
                      (a proxy in front of an echo backend): messages/s and round-trip latency
        fanout        S subscribers over the URLs in G groups; P publishers send M messages at
                      --rate per second, or as fast as acks allow (--rate 0): deliveries/s,
                      publish-to-delivery latency, loss and duplicates
        connections   opens N idle WebSocket connections (--connections) and holds them

      options:
        --url URL[,URL...]   where to connect (default ws://127.0.0.1:8080/ws); repeatable
        --protocol P         groupcast (default) or socketio (fanout against a Socket.IO server)
        --connections N      echo: connections (50); connections: how many to hold (1000)
        --inflight W         echo: messages in flight per connection (8); fanout: unacked publishes
                             per publisher with --rate 0 (16)
        --size BYTES         message size (64)
        --duration D         echo/connections: how long to measure or hold (10s); fanout: at most
                             this long (60s)
        --warmup D           echo: unmeasured time first (1s)
        --subscribers S      fanout (200)
        --groups G           fanout (1)
        --publishers P       fanout (1)
        --messages M         fanout: messages in all (2000)
        --rate R             fanout: messages per second in all, 0 = as fast as acks allow (0)
        --json               one JSON object on the last line of stdout instead of a summary
        -h, --help           this help

      Progress goes to stderr once a second. The bench connects to the URLs given and nothing else.""";

  static BenchOptions parse(String[] args) {
    if (args.length == 0) {
      throw new IllegalArgumentException("bench needs a scenario: echo, fanout or connections");
    }
    Scenario scenario = switch (args[0]) {
      case "echo" -> Scenario.ECHO;
      case "fanout" -> Scenario.FANOUT;
      case "connections" -> Scenario.CONNECTIONS;
      default -> throw new IllegalArgumentException("unknown scenario: " + args[0] + " (echo, fanout, connections)");
    };
    List<URI> urls = new ArrayList<>();
    Protocol protocol = Protocol.GROUPCAST;
    Integer connections = null;
    Integer inflight = null;
    int size = 64;
    Duration duration = null;
    Duration warmup = Duration.ofSeconds(1);
    int subscribers = 200;
    int groups = 1;
    int publishers = 1;
    int messages = 2000;
    int rate = 0;
    boolean json = false;
    for (int i = 1; i < args.length; i++) {
      String arg = args[i];
      String name = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      if (name.equals("--json")) {
        json = true;
        continue;
      }
      if (value == null) {
        if (!name.startsWith("--")) {
          throw new IllegalArgumentException("unexpected argument: " + arg);
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(name + " needs a value");
        }
        value = args[++i];
      }
      switch (name) {
        case "--url" -> {
          for (String u : value.split(",")) {
            if (!u.isBlank()) {
              urls.add(url(u.trim()));
            }
          }
        }
        case "--protocol" -> protocol = switch (value.toLowerCase(Locale.ROOT)) {
          case "groupcast" -> Protocol.GROUPCAST;
          case "socketio", "socket.io" -> Protocol.SOCKETIO;
          default -> throw new IllegalArgumentException("--protocol " + value + ": groupcast or socketio");
        };
        case "--connections" -> connections = number(name, value, 1, 1_000_000);
        case "--inflight" -> inflight = number(name, value, 1, 100_000);
        case "--size" -> size = number(name, value, 16, 16 * 1024 * 1024);
        case "--duration" -> duration = duration(name, value);
        case "--warmup" -> warmup = value.equals("0") ? Duration.ZERO : duration(name, value);
        case "--subscribers" -> subscribers = number(name, value, 1, 1_000_000);
        case "--groups" -> groups = number(name, value, 1, 100_000);
        case "--publishers" -> publishers = number(name, value, 1, 10_000);
        case "--messages" -> messages = number(name, value, 1, 100_000_000);
        case "--rate" -> rate = number(name, value, 0, 10_000_000);
        default -> throw new IllegalArgumentException("unknown option: " + name);
      }
    }
    if (urls.isEmpty()) {
      urls.add(URI.create("ws://127.0.0.1:8080/ws"));
    }
    if (protocol == Protocol.SOCKETIO && scenario != Scenario.FANOUT) {
      throw new IllegalArgumentException("--protocol socketio is for the fanout scenario");
    }
    if (groups > subscribers) {
      throw new IllegalArgumentException("--groups " + groups + " is more than --subscribers " + subscribers);
    }
    if (duration == null) {
      duration = scenario == Scenario.FANOUT ? Duration.ofSeconds(60) : Duration.ofSeconds(10);
    }
    int defaultConnections = scenario == Scenario.CONNECTIONS ? 1000 : 50;
    int defaultInflight = scenario == Scenario.FANOUT ? 16 : 8;
    return new BenchOptions(scenario, List.copyOf(urls), protocol,
        connections == null ? defaultConnections : connections, inflight == null ? defaultInflight : inflight,
        size, duration, warmup, subscribers, groups, publishers, messages, rate, json);
  }

  private static URI url(String text) {
    try {
      URI uri = new URI(text);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("ws") && !scheme.equals("wss") || uri.getHost() == null) {
        throw new IllegalArgumentException("--url " + text + ": must be ws://HOST:PORT/PATH or wss://...");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("--url " + text + ": " + e.getReason());
    }
  }

  private static int number(String name, String value, int min, int max) {
    try {
      int n = Integer.parseInt(value);
      if (n < min || n > max) {
        throw new IllegalArgumentException(name + " " + value + ": out of range " + min + "-" + max);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " " + value + ": must be a whole number");
    }
  }

  private static Duration duration(String name, String value) {
    Duration d;
    try {
      d = Durations.parse(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(name + " " + value + ": " + e.getMessage());
    }
    if (d.isZero()) {
      throw new IllegalArgumentException(name + " " + value + ": must be more than 0");
    }
    return d;
  }
}
